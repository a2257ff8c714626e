//! Runs the `dialogs` subcommands that change dialogs' data (terminate by Call-ID, timeouts by
//! profile, vars, flags, profiles, triggers): one API call each, then the text to print from
//! `output/control.rs`. Never prints.

use dialogd_api::Client;
use dialogd_dialog::ProfileKey;

use crate::cli::DialogsCommand;
use crate::commands::{Failure, parse_id};
use crate::output::control as out;

/// Runs `command` (one of the data-changing `dialogs` subcommands).
pub async fn run(client: &Client, command: DialogsCommand, json: bool) -> Result<String, Failure> {
    match command {
        DialogsCommand::Terminate { call_id, headers } => {
            let ids = client.terminate_by_call_id(&call_id, headers).await?;
            Ok(out::terminated(&call_id, &ids, json))
        }
        DialogsCommand::SetTimeoutByProfile {
            name,
            value,
            seconds,
        } => {
            let changed = client
                .set_timeout_by_profile(&name, value.as_deref(), seconds)
                .await?;
            Ok(out::timeouts_set(
                &name,
                value.as_deref(),
                seconds,
                changed,
                json,
            ))
        }
        DialogsCommand::SetVar { id, name, value } => {
            let id = parse_id(&id)?;
            client.set_var(id, &name, &value).await?;
            Ok(out::var_set(id, &name, &value, json))
        }
        DialogsCommand::Vars { id, name } => {
            let id = parse_id(&id)?;
            let vars = client.get_vars(id, name.as_deref()).await?;
            Ok(out::vars(id, &vars, json))
        }
        DialogsCommand::UnsetVar { id, name } => {
            let id = parse_id(&id)?;
            client.unset_var(id, &name).await?;
            Ok(out::var_unset(id, &name, json))
        }
        DialogsCommand::SetFlag { id, flag } => {
            let id = parse_id(&id)?;
            let flags = client.set_flag(id, flag).await?;
            Ok(out::flags(id, flags, json))
        }
        DialogsCommand::ResetFlag { id, flag } => {
            let id = parse_id(&id)?;
            let flags = client.reset_flag(id, flag).await?;
            Ok(out::flags(id, flags, json))
        }
        DialogsCommand::SetProfile {
            id,
            name,
            value,
            limit,
        } => {
            let id = parse_id(&id)?;
            let key = ProfileKey { name, value };
            client.set_profile(id, &key, limit).await?;
            Ok(out::profile_changed(id, &key, true, json))
        }
        DialogsCommand::UnsetProfile { id, name, value } => {
            let id = parse_id(&id)?;
            let key = ProfileKey { name, value };
            client.unset_profile(id, &key).await?;
            Ok(out::profile_changed(id, &key, false, json))
        }
        DialogsCommand::SetTriggers { id, names } => {
            let id = parse_id(&id)?;
            client.set_triggers(id, names.clone()).await?;
            Ok(out::triggers_set(id, &names, json))
        }
        DialogsCommand::List(_)
        | DialogsCommand::Show(_)
        | DialogsCommand::End(_)
        | DialogsCommand::SetTimeout { .. } => Err(Failure {
            code: tonic::Code::Internal,
            message: "not a data-changing dialogs command".into(),
        }),
    }
}
