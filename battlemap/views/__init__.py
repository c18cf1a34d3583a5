"""What one view shows, shared by the page's panels (and later exports): data, not Dash."""
