"""What the loaded code says, at the bottom of the package.

Syntax trees parsed once (``trees``), where each signal is defined and its
dotted name (``signal_names``), whose code a dotted name is (``owners``).
"""
