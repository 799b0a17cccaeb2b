"""The scenario behind ``python -m chrono demo``: a shop with a discount bug to find."""
