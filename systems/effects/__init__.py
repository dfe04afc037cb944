"""Learned effects: neural cellular automaton textures (model, loss, exemplars, checkpoints, training); see SPEC.md."""
