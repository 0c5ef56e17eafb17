//! The `kpreview` binary: parse arguments, run, print the error chain, exit with the documented
//! code (0 ok, 1 invalid input, 2 usage or I/O error).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cli::exit_code(&error))
        }
    }
}
