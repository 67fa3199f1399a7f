"""One unit per idea on the writer side: each activation, loss, optimizer and regulariser holds its forward formula,
its backward formula, its cell note and its torch definition, side by side.

May import: sheetnet.model.options (which cells an option needs) and nothing else from sheetnet;
formula text is built from cell references given as strings, and torch is imported lazily by the
torch definitions. The numpy reference never imports this folder.
"""
