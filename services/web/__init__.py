"""The three web front ends (till, follower wallet, operator console), served by the API's app."""
