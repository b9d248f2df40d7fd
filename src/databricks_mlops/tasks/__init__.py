"""Entry points of the ``python_wheel_task``s: parse arguments, load config, call the library."""
