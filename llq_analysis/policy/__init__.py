"""Stage 3, policy: scenarios (YAML), allocation rules to the cent, projection of effects onto
allocations, and the optimiser. No UI, no drawing."""
