//! The endpoints users name on the command line: `KIND/NAME` as kubectl spells it
//! (`deploy/web`, `pod/x`, `statefulsets.apps/db`), or an IP address.

use std::net::IpAddr;

use crate::error::Error;
use crate::model::{Inventory, WorkloadKind};

/// What the user wrote, before it is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Workload {
        kind: WorkloadKind,
        name: String,
    },
    Address(IpAddr),
    /// `10.0.0.0/8`: host bits must be zero, as in an ipBlock.
    Network(ipnet::IpNet),
}

/// kubectl's names for a kind: singular, plural, short name, with or without its API group.
pub fn parse_kind(text: &str) -> Option<WorkloadKind> {
    let lower = text.to_ascii_lowercase();
    let bare = lower
        .strip_suffix(".apps")
        .or_else(|| lower.strip_suffix(".batch"))
        .or_else(|| lower.strip_suffix(".apps/v1"))
        .unwrap_or(&lower);
    Some(match bare {
        "po" | "pod" | "pods" => WorkloadKind::Pod,
        "deploy" | "deployment" | "deployments" => WorkloadKind::Deployment,
        "sts" | "statefulset" | "statefulsets" => WorkloadKind::StatefulSet,
        "ds" | "daemonset" | "daemonsets" => WorkloadKind::DaemonSet,
        "rs" | "replicaset" | "replicasets" => WorkloadKind::ReplicaSet,
        "rc" | "replicationcontroller" | "replicationcontrollers" => {
            WorkloadKind::ReplicationController
        }
        "job" | "jobs" => WorkloadKind::Job,
        "cj" | "cronjob" | "cronjobs" => WorkloadKind::CronJob,
        _ => return None,
    })
}

impl Target {
    pub fn parse(text: &str) -> Result<Self, Error> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Target::Address(ip));
        }
        if let Ok(net) = text.parse::<ipnet::IpNet>() {
            if net.trunc() != net {
                return Err(Error::Usage(format!(
                    "{text:?}: the address has bits set past the prefix length (the range is {})",
                    net.trunc()
                )));
            }
            return Ok(Target::Network(net));
        }
        let Some((kind, name)) = text.split_once('/') else {
            return Err(Error::Usage(format!(
                "{text:?}: name a workload as KIND/NAME (deploy/web, pod/x, sts/db) or give an IP address"
            )));
        };
        let kind = parse_kind(kind).ok_or_else(|| {
            Error::Usage(format!(
                "{text:?}: {kind:?} is not a workload kind (pod, deploy, sts, ds, rs, rc, job, cj)"
            ))
        })?;
        if name.is_empty() || name.contains('/') {
            return Err(Error::Usage(format!(
                "{text:?}: the name after the kind is missing or has a '/'"
            )));
        }
        Ok(Target::Workload {
            kind,
            name: name.to_owned(),
        })
    }

    /// The workload's inventory index, looked up in `namespace`. A pod folded into its owner
    /// is found through the owner.
    pub fn resolve(&self, inventory: &Inventory, namespace: &str) -> Result<Option<usize>, Error> {
        let Target::Workload { kind, name } = self else {
            return Ok(None);
        };
        let found = inventory
            .workloads
            .iter()
            .position(|w| w.kind == *kind && w.namespace == namespace && w.name == *name)
            .or_else(|| {
                let (owner_kind, owner) = inventory
                    .pod_owners
                    .get(&(namespace.to_owned(), name.clone()))
                    .filter(|_| *kind == WorkloadKind::Pod)?;
                inventory.workloads.iter().position(|w| {
                    w.kind == *owner_kind && w.namespace == namespace && w.name == *owner
                })
            });
        match found {
            Some(i) => Ok(Some(i)),
            None => {
                let mut there: Vec<String> = inventory
                    .workloads
                    .iter()
                    .filter(|w| w.namespace == namespace)
                    .map(|w| format!("{}/{}", w.kind.as_str().to_ascii_lowercase(), w.name))
                    .collect();
                there.sort();
                let hint = match there.len() {
                    0 => format!("namespace {namespace:?} has no workloads in the input"),
                    n if n <= 8 => format!("there: {}", there.join(", ")),
                    n => format!("there: {}, and {} more", there[..8].join(", "), n - 8),
                };
                Err(Error::Usage(format!(
                    "{}/{name} not found in namespace {namespace:?} ({hint})",
                    kind.as_str().to_ascii_lowercase()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_as_kubectl_spells_them() {
        assert_eq!(parse_kind("deploy"), Some(WorkloadKind::Deployment));
        assert_eq!(
            parse_kind("deployments.apps"),
            Some(WorkloadKind::Deployment)
        );
        assert_eq!(parse_kind("Pod"), Some(WorkloadKind::Pod));
        assert_eq!(parse_kind("cj"), Some(WorkloadKind::CronJob));
        assert_eq!(parse_kind("service"), None);
    }

    #[test]
    fn targets_are_workloads_or_addresses() {
        assert_eq!(
            Target::parse("sts/db").unwrap(),
            Target::Workload {
                kind: WorkloadKind::StatefulSet,
                name: "db".into()
            }
        );
        assert_eq!(
            Target::parse("203.0.113.9").unwrap(),
            Target::Address("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            Target::parse("2001:db8::1").unwrap(),
            Target::Address("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            Target::parse("10.0.0.0/8").unwrap(),
            Target::Network("10.0.0.0/8".parse().unwrap())
        );
        let e = Target::parse("10.1.2.3/8").unwrap_err().to_string();
        assert!(e.contains("the range is 10.0.0.0/8"), "{e}");
        for bad in ["web", "svc/web", "deploy/", "deploy/a/b"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_workloads_name_what_the_namespace_has() {
        let mut inv = Inventory::default();
        inv.workloads.push(crate::model::fixtures::workload(
            "shop",
            "web",
            &[("app", "web")],
        ));
        let t = Target::parse("deploy/db").unwrap();
        let e = t.resolve(&inv, "shop").unwrap_err().to_string();
        assert!(
            e.contains("deployment/db not found in namespace \"shop\""),
            "{e}"
        );
        assert!(e.contains("there: "), "{e}");
        let web = Target::parse(&format!(
            "{}/web",
            inv.workloads[0].kind.as_str().to_ascii_lowercase()
        ))
        .unwrap();
        assert_eq!(web.resolve(&inv, "shop").unwrap(), Some(0));
        assert!(web.resolve(&inv, "other").is_err());
    }
}
