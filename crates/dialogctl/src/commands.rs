//! Runs one parsed `dialogctl` command: connects with the API client, makes the call(s) and
//! returns the text to print, or a [`Failure`] carrying the gRPC code and the server's message.
//! Reads the clock only to show dialog ages; never prints.

use std::time::{SystemTime, UNIX_EPOCH};

use dialogd_api::{Client, ClientOptions, DialogFilter};
use dialogd_dialog::{DialogId, ProfileKey};
use tonic::Code;

use crate::cli::{Cli, ClusterCommand, Command, DialogsCommand, ListArgs, ProfileCommand};
use crate::output;

/// Why a command failed: a gRPC code and a message for `dialogctl: <CODE>: <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl From<dialogd_api::Error> for Failure {
    fn from(err: dialogd_api::Error) -> Failure {
        let code = err.code();
        let message = match &err {
            // The server's message as it is.
            dialogd_api::Error::Status(status) => status.message().to_owned(),
            // Transport errors say little at the top; their sources say why.
            other => {
                let mut text = other.to_string();
                let mut source = std::error::Error::source(other);
                while let Some(s) = source {
                    let s_text = s.to_string();
                    if !text.contains(&s_text) {
                        text.push_str(": ");
                        text.push_str(&s_text);
                    }
                    source = s.source();
                }
                text
            }
        };
        Failure { code, message }
    }
}

/// The connection options the global flags ask for; an unreadable CA file fails here.
pub fn client_options(cli: &Cli) -> Result<ClientOptions, Failure> {
    let tls_ca_pem = cli
        .tls_ca
        .as_ref()
        .map(|path| {
            std::fs::read(path).map_err(|e| Failure {
                code: Code::InvalidArgument,
                message: format!("tls-ca: cannot read {}: {e}", path.display()),
            })
        })
        .transpose()?;
    Ok(ClientOptions {
        token: cli.token.clone().filter(|t| !t.is_empty()),
        tls_ca_pem,
        timeout: Some(cli.timeout),
        ..ClientOptions::default()
    })
}

/// A dialog id in hex, or INVALID_ARGUMENT naming it.
pub fn parse_id(text: &str) -> Result<DialogId, Failure> {
    text.parse().map_err(|e| Failure {
        code: Code::InvalidArgument,
        message: format!("id: {e}"),
    })
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs `cli` and returns what to print on stdout.
pub async fn run(cli: Cli) -> Result<String, Failure> {
    // Check local arguments before connecting, so a typo fails fast and the same way offline.
    let ids = match &cli.command {
        Command::Dialogs(command) => command.dialog_id().into_iter().collect(),
        Command::Call(command) => command.dialog_ids(),
        _ => Vec::new(),
    };
    for id in ids {
        parse_id(id)?;
    }
    let mut options = client_options(&cli)?;
    if let Command::Events(args) = &cli.command {
        // No per-call timeout: it would cut the stream.
        options.timeout = None;
        crate::events::follow(&cli.addr, &options, args, cli.json).await?;
        return Ok(String::new());
    }
    if let Command::Health(args) = &cli.command {
        return health(&cli.addr, &options, &args.service, cli.json).await;
    }
    let client = Client::connect_options(&cli.addr, &options).await?;
    let json = cli.json;
    match cli.command {
        Command::Stats => {
            let (node_id, stats, cluster) = client.stats_with_cluster().await?;
            Ok(output::stats(node_id, &stats, cluster.as_ref(), json))
        }
        Command::Dialogs(DialogsCommand::List(args)) => list(&client, args, json).await,
        Command::Dialogs(DialogsCommand::Show(args)) => {
            let dialog = match (&args.id, &args.call_id, &args.from_tag) {
                (Some(id), _, _) => client.get(parse_id(id)?).await?,
                (None, Some(call_id), Some(from_tag)) => client.find(call_id, from_tag).await?,
                _ => {
                    return Err(Failure {
                        code: Code::InvalidArgument,
                        message: "give an id, or --call-id and --from-tag".into(),
                    });
                }
            };
            Ok(output::dialog_show(&dialog, now_unix_ms(), json))
        }
        Command::Dialogs(DialogsCommand::End(args)) => {
            let id = parse_id(&args.id)?;
            client.end(id, args.side.into(), args.headers).await?;
            Ok(output::ended(id, args.side.into(), json))
        }
        Command::Dialogs(DialogsCommand::SetTimeout { id, seconds }) => {
            let id = parse_id(&id)?;
            client.set_timeout(id, seconds).await?;
            Ok(output::timeout_set(id, seconds, json))
        }
        Command::Dialogs(command) => crate::control::run(&client, command, json).await,
        Command::Profile(ProfileCommand::Size {
            name,
            value,
            stale_ok,
        }) => {
            let size = client
                .profile_size(&name, value.as_deref(), stale_ok)
                .await?;
            Ok(output::profile_size(&name, value.as_deref(), size, json))
        }
        Command::Profile(ProfileCommand::List { name, value }) => {
            let ids = client.profile_dialogs(&name, value.as_deref()).await?;
            Ok(output::profile_dialogs(&name, value.as_deref(), &ids, json))
        }
        Command::Profile(ProfileCommand::Values { name }) => {
            let values = client.profile_values(&name).await?;
            Ok(output::profile_values(&name, &values, json))
        }
        Command::Cluster(command) => cluster(&client, command, json).await,
        Command::Call(command) => crate::call::run(&client, command, json).await,
        // Followed or asked above, before connecting.
        Command::Events(_) | Command::Health(_) => Ok(String::new()),
    }
}

async fn cluster(client: &Client, command: ClusterCommand, json: bool) -> Result<String, Failure> {
    match command {
        ClusterCommand::Members => {
            let view = client.cluster_members().await?;
            Ok(output::cluster::members(&view, json))
        }
        ClusterCommand::Leader => {
            let view = client.cluster_leader().await?;
            Ok(output::cluster::leader(&view, json))
        }
        ClusterCommand::Add {
            node_id,
            node_addr,
            learner,
        } => {
            let view = client.cluster_add(node_id, &node_addr, learner).await?;
            let role = if learner { "learner" } else { "voter" };
            let summary = format!("node {node_id} ({node_addr}) added as {role}");
            Ok(output::cluster::changed(&summary, &view, json))
        }
        ClusterCommand::Remove { node_id } => {
            let view = client.cluster_remove(node_id).await?;
            let summary = format!("node {node_id} removed");
            Ok(output::cluster::changed(&summary, &view, json))
        }
    }
}

async fn list(client: &Client, args: ListArgs, json: bool) -> Result<String, Failure> {
    let filter = DialogFilter {
        call_id: args.call_id,
        from_tag: args.from_tag,
        state: args.state,
        profile: args.profile.map(|name| ProfileKey {
            name,
            value: args.value,
        }),
        owner_node: args.owner_node,
        after: None,
        limit: None,
    };
    let dialogs = client.list(&filter, args.limit).await?;
    Ok(output::dialog_list(&dialogs, now_unix_ms(), json))
}

/// `dialogctl health`: SERVING (exit 0) or a failure naming the status.
async fn health(
    addr: &str,
    options: &ClientOptions,
    service: &str,
    json: bool,
) -> Result<String, Failure> {
    let status = dialogd_api::check_health(addr, options, service).await?;
    let name = status.as_str_name();
    if status != dialogd_api::HealthStatus::Serving {
        return Err(Failure {
            code: Code::Unavailable,
            message: format!("health of {service:?}: {name}"),
        });
    }
    Ok(if json {
        format!(
            "{}\n",
            serde_json::json!({ "service": service, "status": name })
        )
    } else {
        format!("{name}\n")
    })
}
