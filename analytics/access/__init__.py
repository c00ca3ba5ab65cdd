"""Access control: users and roles, the area scope every query carries, kiosk links and the audit log.

No Streamlit here: ``ui/auth.py`` draws the login form and keeps the signed-in principal in the session.
"""
