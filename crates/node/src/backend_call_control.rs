//! [`NodeBackend`] as the `CallControl` backend (issue 6): REFER and keep-alive run at the
//! dialog's owner like every call about one dialog ([`NodeBackend::at_owner`]): here through
//! the proxy, or forwarded to the owner with the cluster secret (the owner answers it itself).
//! `End` is the `Dialogs` backend's `end`, forwarded the same way.

use dialogd_api::{BackendError, CallControlBackend};
use dialogd_dialog::{BoxFuture, DialogId, KeepaliveConfig, Leg};

use crate::backend::NodeBackend;

impl CallControlBackend for NodeBackend {
    fn refer(
        &self,
        id: DialogId,
        leg: Leg,
        refer_to: String,
        extra_headers: Vec<String>,
    ) -> BoxFuture<'_, Result<u16, BackendError>> {
        Box::pin(async move {
            let (to, headers) = (refer_to.clone(), extra_headers.clone());
            let local = self.proxy.refer(id, leg, &refer_to, extra_headers);
            self.at_owner(id, local, move |c| async move {
                c.call_refer(id, leg, &to, headers).await
            })
            .await
        })
    }

    fn set_keepalive(
        &self,
        id: DialogId,
        config: Option<KeepaliveConfig>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let local = self.proxy.set_keepalive(id, config);
            self.at_owner(id, local, move |c| async move {
                c.call_set_keepalive(id, config).await
            })
            .await
        })
    }
}
