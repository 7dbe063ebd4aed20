//! Thin entry point: parse, run, map errors to the contract's exit codes.

fn main() -> std::process::ExitCode {
    let cli = faultlens::cli::parse();
    match faultlens::cli::execute(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let code = e.exit_code();
            let err = anyhow::Error::new(e);
            eprintln!("faultlens: {err:#}");
            std::process::ExitCode::from(code as u8)
        }
    }
}
