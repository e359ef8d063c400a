// Behaviour for the signal panel; loaded by the toolbar as an ES module.
