//! The client side of `dialogd.v1.Events`: [`Client::watch_events`] opens a `WatchEvents`
//! stream with an [`EventFilter`] and returns an [`EventStream`] of domain values
//! ([`WatchedEvent`]). Must not hold logic beyond conversion.

use dialogd_dialog::EventKind;

use crate::client::Client;
use crate::error::Result;
use crate::events::backend::{EventFilter, WatchedEvent};
use crate::events::convert::kind_to_proto;
use crate::pb;

/// An open `WatchEvents` stream.
#[derive(Debug)]
pub struct EventStream {
    inner: tonic::Streaming<pb::DialogEvent>,
}

impl EventStream {
    /// The next event; `Ok(None)` when the server ended the stream (it shut down).
    pub async fn next(&mut self) -> Result<Option<WatchedEvent>> {
        match self.inner.message().await? {
            Some(event) => Ok(Some(WatchedEvent::try_from(event)?)),
            None => Ok(None),
        }
    }
}

/// The request for `filter`.
pub fn watch_request(filter: &EventFilter) -> pb::WatchEventsRequest {
    pb::WatchEventsRequest {
        kinds: filter
            .kinds
            .iter()
            .map(|k: &EventKind| kind_to_proto(*k) as i32)
            .collect(),
        call_id: filter.call_id.clone(),
        profile: filter.profile.as_ref().map(|p| p.name.clone()),
        profile_value: filter.profile.as_ref().and_then(|p| p.value.clone()),
        dialog_id: filter.did.map(|d| d.to_string()),
    }
}

impl Client {
    /// Follows the server's dialog events that meet `filter`, from now on. The server checks
    /// the filter first: a bad one fails here, not on the first [`EventStream::next`].
    pub async fn watch_events(&self, filter: &EventFilter) -> Result<EventStream> {
        let inner = self
            .raw_events()
            .watch_events(watch_request(filter))
            .await?
            .into_inner();
        Ok(EventStream { inner })
    }
}
