//! (feature `signal`) The shutdown signal the services' binaries wait for.

/// Completes on Ctrl-C or, on Unix, SIGTERM (what a container runtime sends first).
///
/// ```no_run
/// # async fn serve() {
/// gigafibre_client_core::shutdown_signal().await;
/// // stop accepting, log routers out, flush…
/// # }
/// ```
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
