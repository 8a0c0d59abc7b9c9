"""LeNet-5 Studio: `streamlit run app.py`. This file only routes (studio/router.py); each screen lives in pages/."""

from studio import router

router.run()
