//! The typed client of `dialogd.v1` for `dialogctl`, controllers and tests: [`Client`], which
//! connects and here calls `Dialogs` and `Cluster`, extended with the `Dialogs` RPCs that change
//! dialogs' data ([`control`]), `CallControl` ([`call_control`]) and `Events` ([`events`]); how
//! it connects and authenticates ([`options`]), the gRPC health probe ([`health`]) and the
//! `Triggers` controller ([`triggers`]). Sends and returns domain values, following list pages
//! when asked; must not hold logic beyond conversion: [`Client::raw`] and its kin serve the rest.

pub mod call_control;
pub mod control;
pub mod events;
pub mod health;
pub mod options;
pub mod triggers;

use std::time::Duration;

use dialogd_dialog::{DialogId, DialogSnapshot, Stats};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::client::options::{AuthChannel, AuthInterceptor, ClientOptions};
use crate::cluster::backend::ClusterView;
use crate::dialogs::backend::{DialogFilter, EndSide, ProfileValues};
use crate::dialogs::convert::{end_side_to_proto, list_request, parse_reply_id, stats_from_proto};
use crate::error::{Error, Result};
use crate::pb;
use crate::pb::call_control_client::CallControlClient;
use crate::pb::cluster_client::ClusterClient;
use crate::pb::dialogs_client::DialogsClient;
use crate::pb::events_client::EventsClient;
use crate::pb::node_forward_client::NodeForwardClient;

/// Largest page the client asks for when following pages (the server's maximum).
const PAGE_SIZE: usize = 1000;

/// A connected `Dialogs` and `Cluster` client. Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub struct Client {
    inner: DialogsClient<AuthChannel>,
    cluster: ClusterClient<AuthChannel>,
    events: EventsClient<AuthChannel>,
    node_forward: NodeForwardClient<AuthChannel>,
    call_control: CallControlClient<AuthChannel>,
}

/// One page of `ListDialogs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogPage {
    pub dialogs: Vec<DialogSnapshot>,
    /// The last id of this page when another page follows (pass it as `filter.after`).
    pub next: Option<DialogId>,
}

impl Client {
    /// Connects to `addr` (`http://127.0.0.1:50051`; `http://` is added when no scheme is given).
    pub async fn connect(addr: &str) -> Result<Client> {
        Client::connect_options(addr, &ClientOptions::default()).await
    }

    /// Connects to `addr`; with a `timeout`, it bounds the connection set-up and every call.
    pub async fn connect_with(addr: &str, timeout: Option<Duration>) -> Result<Client> {
        let options = ClientOptions {
            timeout,
            ..ClientOptions::default()
        };
        Client::connect_options(addr, &options).await
    }

    /// Connects to `addr` with `options`: TLS for `https://`, and the token, cluster secret
    /// and forwarded marker on every call.
    pub async fn connect_options(addr: &str, options: &ClientOptions) -> Result<Client> {
        let interceptor = options.interceptor()?;
        let channel = options.connect_channel(addr).await?;
        Ok(Client::with_interceptor(channel, interceptor))
    }

    /// A client over an existing channel, without credentials.
    pub fn from_channel(channel: Channel) -> Client {
        Client::with_interceptor(channel, AuthInterceptor::default())
    }

    /// A client over an existing channel whose calls carry `interceptor`'s headers.
    pub fn with_interceptor(channel: Channel, interceptor: AuthInterceptor) -> Client {
        let channel = InterceptedService::new(channel, interceptor);
        Client {
            inner: DialogsClient::new(channel.clone()),
            cluster: ClusterClient::new(channel.clone()),
            events: EventsClient::new(channel.clone()),
            node_forward: NodeForwardClient::new(channel.clone()),
            call_control: CallControlClient::new(channel),
        }
    }

    /// The generated tonic `Dialogs` client, for calls this type does not wrap.
    pub fn raw(&self) -> DialogsClient<AuthChannel> {
        self.inner.clone()
    }

    /// The generated tonic `Cluster` client.
    pub fn raw_cluster(&self) -> ClusterClient<AuthChannel> {
        self.cluster.clone()
    }

    /// The generated tonic `Events` client ([`Client::watch_events`] wraps it).
    pub fn raw_events(&self) -> EventsClient<AuthChannel> {
        self.events.clone()
    }

    /// The generated tonic `CallControl` client (`call_control.rs` wraps it).
    pub fn raw_call_control(&self) -> CallControlClient<AuthChannel> {
        self.call_control.clone()
    }

    /// The generated tonic `NodeForward` client (node-to-node: connect with the cluster secret).
    pub fn raw_node_forward(&self) -> NodeForwardClient<AuthChannel> {
        self.node_forward.clone()
    }

    /// The node's id and counters.
    pub async fn stats(&self) -> Result<(u64, Stats)> {
        let reply = self.raw().stats(pb::StatsRequest {}).await?.into_inner();
        Ok(stats_from_proto(&reply))
    }

    /// The node's id and counters, and the cluster's when it could answer.
    pub async fn stats_with_cluster(&self) -> Result<(u64, Stats, Option<Stats>)> {
        let reply = self.raw().stats(pb::StatsRequest {}).await?.into_inner();
        let (id, stats) = stats_from_proto(&reply);
        Ok((
            id,
            stats,
            crate::dialogs::convert::cluster_stats_from_proto(&reply),
        ))
    }

    /// One page of dialogs: `filter.after` is the page token, `filter.limit` the page size
    /// (server default when `None`).
    pub async fn list_page(&self, filter: &DialogFilter) -> Result<DialogPage> {
        let reply = self
            .raw()
            .list_dialogs(list_request(filter))
            .await?
            .into_inner();
        let dialogs = reply
            .dialogs
            .into_iter()
            .map(DialogSnapshot::try_from)
            .collect::<Result<Vec<_>>>()?;
        let next = match reply.next_page_token.as_str() {
            "" => None,
            token => Some(parse_reply_id("next_page_token", token)?),
        };
        Ok(DialogPage { dialogs, next })
    }

    /// Every dialog matching `filter` (from `filter.after` on), following pages, stopping at
    /// `limit` dialogs when given. `filter.limit` is ignored.
    pub async fn list(
        &self,
        filter: &DialogFilter,
        limit: Option<usize>,
    ) -> Result<Vec<DialogSnapshot>> {
        let mut out = Vec::new();
        let mut page_filter = filter.clone();
        loop {
            let want = limit.map_or(PAGE_SIZE, |l| l.saturating_sub(out.len()).min(PAGE_SIZE));
            if want == 0 {
                return Ok(out);
            }
            page_filter.limit = Some(want);
            let page = self.list_page(&page_filter).await?;
            out.extend(page.dialogs);
            match page.next {
                Some(next) => page_filter.after = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// The dialog with this id (`Error::Status` NOT_FOUND if unknown).
    pub async fn get(&self, id: DialogId) -> Result<DialogSnapshot> {
        self.get_by(pb::get_dialog_request::Key::Id(id.to_string()))
            .await
    }

    /// The dialog with this Call-ID and caller (From) tag (NOT_FOUND if unknown).
    pub async fn find(&self, call_id: &str, from_tag: &str) -> Result<DialogSnapshot> {
        let call = pb::CallRef {
            call_id: call_id.to_owned(),
            from_tag: from_tag.to_owned(),
        };
        self.get_by(pb::get_dialog_request::Key::Call(call)).await
    }

    async fn get_by(&self, key: pb::get_dialog_request::Key) -> Result<DialogSnapshot> {
        let reply = self
            .raw()
            .get_dialog(pb::GetDialogRequest { key: Some(key) })
            .await?;
        let dialog = reply.into_inner().dialog.ok_or(Error::BadReply {
            field: "dialog",
            value: String::new(),
        })?;
        DialogSnapshot::try_from(dialog)
    }

    /// Ends a dialog: BYE to `side` with `extra_headers` (`Name: value` each).
    pub async fn end(&self, id: DialogId, side: EndSide, extra_headers: Vec<String>) -> Result<()> {
        let req = pb::EndDialogRequest {
            id: id.to_string(),
            side: end_side_to_proto(side) as i32,
            extra_headers,
        };
        self.raw().end_dialog(req).await?;
        Ok(())
    }

    /// Sets a dialog's timeout to `seconds` from now.
    pub async fn set_timeout(&self, id: DialogId, seconds: u32) -> Result<()> {
        let req = pb::SetTimeoutRequest {
            id: id.to_string(),
            seconds,
        };
        self.raw().set_timeout(req).await?;
        Ok(())
    }

    /// Number of dialogs in a profile (with a value: that value only).
    pub async fn profile_size(
        &self,
        name: &str,
        value: Option<&str>,
        stale_ok: bool,
    ) -> Result<u64> {
        let req = pb::ProfileGetSizeRequest {
            name: name.to_owned(),
            value: value.map(str::to_owned),
            stale_ok,
        };
        Ok(self.raw().profile_get_size(req).await?.into_inner().size)
    }

    /// The ids of the dialogs in a profile (with a value: that value only), ascending.
    pub async fn profile_dialogs(&self, name: &str, value: Option<&str>) -> Result<Vec<DialogId>> {
        let req = pb::ProfileListDialogsRequest {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        };
        let reply = self.raw().profile_list_dialogs(req).await?.into_inner();
        reply
            .ids
            .iter()
            .map(|id| parse_reply_id("profile dialog id", id))
            .collect()
    }

    /// Every value of a profile with its count (`None` for dialogs in the profile without value).
    pub async fn profile_values(&self, name: &str) -> Result<ProfileValues> {
        let req = pb::ProfileGetValuesRequest {
            name: name.to_owned(),
        };
        let reply = self.raw().profile_get_values(req).await?.into_inner();
        Ok(reply
            .values
            .into_iter()
            .map(|v| (v.value, v.count))
            .collect())
    }

    /// The cluster's members as the server sees them.
    pub async fn cluster_members(&self) -> Result<ClusterView> {
        let reply = self.raw_cluster().members(pb::MembersRequest {}).await?;
        ClusterView::try_from(reply.into_inner())
    }

    /// The cluster view from the `Leader` RPC (`leader_id` names the leader, `None` if unknown).
    pub async fn cluster_leader(&self) -> Result<ClusterView> {
        let reply = self.raw_cluster().leader(pb::LeaderRequest {}).await?;
        ClusterView::try_from(reply.into_inner())
    }

    /// Adds node `node_id` at `addr` (`http://host:port`), a learner only if `learner_only`;
    /// returns the view after the change.
    pub async fn cluster_add(
        &self,
        node_id: u64,
        addr: &str,
        learner_only: bool,
    ) -> Result<ClusterView> {
        let req = pb::AddNodeRequest {
            node_id,
            addr: addr.to_owned(),
            learner_only,
        };
        let reply = self.raw_cluster().add_node(req).await?;
        ClusterView::try_from(reply.into_inner())
    }

    /// Removes node `node_id`; returns the view after the change.
    pub async fn cluster_remove(&self, node_id: u64) -> Result<ClusterView> {
        let reply = self
            .raw_cluster()
            .remove_node(pb::RemoveNodeRequest { node_id })
            .await?;
        ClusterView::try_from(reply.into_inner())
    }
}
