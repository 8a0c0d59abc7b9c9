"""LeNet-5 Studio: `streamlit run app.py`. This file only routes; each screen lives in pages/."""

import streamlit as st

from pages import common, visitor

st.set_page_config(page_title="LeNet-5 Studio", page_icon="✏️", layout="wide")
common.keep_keras_state()  # Streamlit would reset Keras after every rerun, at a cost of about 0.35 s each
common.init_session_state()
visitor.setup()  # who is visiting (public mode), and whether the run store is usable

navigation = st.navigation({"LeNet-5 Studio": [
    st.Page(page.path, title=page.title, icon=page.icon, default=page is common.PAGES[0]) for page in common.PAGES]})
with st.sidebar:
    common.model_chooser()
navigation.run()
