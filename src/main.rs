use std::process::ExitCode;

fn main() -> ExitCode {
    stagegate::cli::main()
}
