//! Completion's look-ups in the kubeconfig and the cluster: whatever cannot be read offers no
//! candidates, silently, as kubectl's own completion does.

use std::time::Duration;

use kube::config::Kubeconfig;

use super::engine::{Candidate, ClusterFlags, Lookups};
use crate::source::cluster::{self, ClusterOptions};

/// The shell waits for the namespaces list: an unreachable server must not hang the prompt. Two
/// seconds leaves room for a kubeconfig exec credential plugin (cloud CLIs take about one).
const NAMESPACES_DEADLINE: Duration = Duration::from_secs(2);

/// The kubeconfig of `--kubeconfig`, else `$KUBECONFIG` (merged) or `~/.kube/config`.
fn kubeconfig(flags: &ClusterFlags) -> Option<Kubeconfig> {
    match &flags.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).ok(),
        None => Kubeconfig::read().ok(),
    }
}

pub struct Live;

impl Lookups for Live {
    fn namespaces(&self, flags: &ClusterFlags) -> Vec<String> {
        let options = ClusterOptions {
            kubeconfig: flags.kubeconfig.clone(),
            context: flags.context.clone(),
            cluster: flags.cluster.clone(),
            user: flags.user.clone(),
            server: flags.server.clone(),
            certificate_authority: flags.certificate_authority.clone(),
            insecure_skip_tls_verify: flags.insecure_skip_tls_verify,
            token: flags.token.clone(),
            request_timeout: Some(NAMESPACES_DEADLINE),
            page_size: 500,
            ..ClusterOptions::default()
        };
        let mut names = cluster::namespace_names(&options, NAMESPACES_DEADLINE).unwrap_or_default();
        names.sort();
        names
    }

    fn contexts(&self, flags: &ClusterFlags) -> Vec<Candidate> {
        let Some(config) = kubeconfig(flags) else {
            return Vec::new();
        };
        config
            .contexts
            .iter()
            .map(|named| {
                let description = named.context.as_ref().map(|c| {
                    let mut d = format!("cluster {}", c.cluster);
                    if let Some(ns) = &c.namespace {
                        d.push_str(&format!(", namespace {ns}"));
                    }
                    d
                });
                Candidate::new(named.name.clone(), description.unwrap_or_default())
            })
            .collect()
    }

    fn clusters(&self, flags: &ClusterFlags) -> Vec<String> {
        kubeconfig(flags)
            .map(|k| k.clusters.into_iter().map(|c| c.name).collect())
            .unwrap_or_default()
    }

    fn users(&self, flags: &ClusterFlags) -> Vec<String> {
        kubeconfig(flags)
            .map(|k| k.auth_infos.into_iter().map(|u| u.name).collect())
            .unwrap_or_default()
    }
}
