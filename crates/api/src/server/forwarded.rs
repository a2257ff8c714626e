//! The forwarded marker: whether the request being served was forwarded by another node of
//! the cluster (it carried the valid cluster secret and `x-dialogd-forwarded`). The auth layer
//! (`auth.rs`) runs each admitted request inside a tokio task-local; backends ask
//! [`is_forwarded`] so a forwarded call is answered locally instead of being forwarded again.
//! The mark does not follow work the backend spawns onto other tasks: read it first.

use std::future::Future;

tokio::task_local! {
    static FORWARDED: bool;
}

/// True while serving a request another node forwarded; false anywhere else.
pub fn is_forwarded() -> bool {
    FORWARDED.try_with(|f| *f).unwrap_or(false)
}

/// Runs `fut` with [`is_forwarded`] answering `forwarded` inside it.
pub fn with_forwarded<F: Future>(
    forwarded: bool,
    fut: F,
) -> tokio::task::futures::TaskLocalFuture<bool, F> {
    FORWARDED.scope(forwarded, fut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_mark_holds_inside_its_scope_only() {
        assert!(!is_forwarded());
        assert!(with_forwarded(true, async { is_forwarded() }).await);
        assert!(!with_forwarded(false, async { is_forwarded() }).await);
        assert!(!is_forwarded());
    }
}
