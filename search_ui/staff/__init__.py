"""Staff and public: what the public may not see, staff sign-in, CSRF, and the staff actions on the web."""
