"""Views, one module per area of the portal; each stays thin: form, one service, redirect."""
