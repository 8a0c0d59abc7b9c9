"""LeNet-5 Studio: `streamlit run app.py`. This file only routes; each screen lives in pages/."""

import streamlit as st

from pages import common, visitor

st.set_page_config(page_title="LeNet-5 Studio", page_icon="✏️", layout="wide")
common.init_session_state()
visitor.setup()  # who is visiting (public mode), and whether the run store is usable

navigation = st.navigation({
    "LeNet-5 Studio": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/draw.py", title="Draw", icon="✏️"),
        st.Page("pages/train.py", title="Train", icon="🏋️"),
        st.Page("pages/dataset.py", title="Dataset", icon="🔢"),
        st.Page("pages/my_digits.py", title="My digits", icon="🖐️"),
        st.Page("pages/model.py", title="Model", icon="🧠"),
        st.Page("pages/runs.py", title="Runs", icon="📈"),
    ],
})
navigation.run()
