"""The skill catalogue (taxonomy) and agents' skill profiles, with their growth log."""
