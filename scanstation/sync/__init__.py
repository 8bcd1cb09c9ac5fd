"""The offline upload queue and the link to the provincial system (adapter and simulator)."""
