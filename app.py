"""LeNet-5 Studio: `streamlit run app.py`. This file only routes (studio/router.py); each screen lives in pages/.

Streamlit reads this file twice over. The server imports it once, as it starts, and serves the st.App it finds,
whose lifespan runs the app's start (studio/server_start.py: class mode's host link). Then every visitor's run
executes it as the page script, which routes.
"""

import streamlit as st

from studio import server_start

if server_start.is_page_run():
    from studio import router  # only in a page run: a page's caches declared before Streamlit's runtime starts warn

    router.run()
else:
    app = st.App(__file__, lifespan=server_start.lifespan)
