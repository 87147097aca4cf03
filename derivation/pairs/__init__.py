"""Custom pairs: a user's two specs become a setting and the plan of the matching case.

May import every layer below, cases included."""
