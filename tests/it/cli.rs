//! The command line as users meet it: help, exit codes, stdin, output directories.
