"""The investigator's explorer: a Streamlit multipage app (``ringscope explore``)."""
