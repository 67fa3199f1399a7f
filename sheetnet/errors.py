"""The one exception type a user ever sees: a clear line, exit status 2."""


class SheetnetError(Exception):
    """A problem with the user's input (config, data, workbook), reported as one line."""

    exit_code = 2
