//! Which incident a bundle holds, and the verdict it should get.

/// The incidents of the seed report plus the other fault domains and two
/// controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScenarioKind {
    AsanaRegional,
    AsanaGlobal502to503,
    ChatgptSlowApi,
    JiraWaves,
    DiscordMessaging,
    BarclaysBackend,
    Dns,
    RegionalNetworkLoss,
    CdnEdge,
    ThirdParty,
    ClientOffline,
    TlsCert,
    Healthy,
    NoisyHealthy,
}

impl ScenarioKind {
    pub fn name(self) -> &'static str {
        match self {
            ScenarioKind::AsanaRegional => "asana-regional",
            ScenarioKind::AsanaGlobal502to503 => "asana-global",
            ScenarioKind::ChatgptSlowApi => "chatgpt-slow-api",
            ScenarioKind::JiraWaves => "jira-waves",
            ScenarioKind::DiscordMessaging => "discord-messaging",
            ScenarioKind::BarclaysBackend => "barclays-backend",
            ScenarioKind::Dns => "dns",
            ScenarioKind::RegionalNetworkLoss => "network-regional",
            ScenarioKind::CdnEdge => "cdn-edge",
            ScenarioKind::ThirdParty => "third-party",
            ScenarioKind::ClientOffline => "client-offline",
            ScenarioKind::TlsCert => "tls-cert",
            ScenarioKind::Healthy => "healthy",
            ScenarioKind::NoisyHealthy => "noisy-healthy",
        }
    }
    pub fn from_name(s: &str) -> Option<ScenarioKind> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        ScenarioKind::all()
            .iter()
            .copied()
            .find(|k| k.name() == s || format!("{k:?}").to_ascii_lowercase() == s.replace('-', ""))
    }
    pub fn all() -> &'static [ScenarioKind] {
        &[
            ScenarioKind::AsanaRegional,
            ScenarioKind::AsanaGlobal502to503,
            ScenarioKind::ChatgptSlowApi,
            ScenarioKind::JiraWaves,
            ScenarioKind::DiscordMessaging,
            ScenarioKind::BarclaysBackend,
            ScenarioKind::Dns,
            ScenarioKind::RegionalNetworkLoss,
            ScenarioKind::CdnEdge,
            ScenarioKind::ThirdParty,
            ScenarioKind::ClientOffline,
            ScenarioKind::TlsCert,
            ScenarioKind::Healthy,
            ScenarioKind::NoisyHealthy,
        ]
    }
    /// Contract §4 word of the expected verdict.
    pub fn fault_domain(self) -> &'static str {
        match self {
            ScenarioKind::AsanaRegional
            | ScenarioKind::AsanaGlobal502to503
            | ScenarioKind::ChatgptSlowApi
            | ScenarioKind::JiraWaves
            | ScenarioKind::DiscordMessaging
            | ScenarioKind::BarclaysBackend => "backend",
            ScenarioKind::Dns => "dns",
            ScenarioKind::RegionalNetworkLoss => "network",
            ScenarioKind::CdnEdge => "cdn",
            ScenarioKind::ThirdParty => "third_party",
            ScenarioKind::ClientOffline => "client",
            ScenarioKind::TlsCert => "tls",
            ScenarioKind::Healthy | ScenarioKind::NoisyHealthy => "none",
        }
    }
    pub(super) fn is_backend(self) -> bool {
        self.fault_domain() == "backend"
    }
    pub(super) fn has_incident(self) -> bool {
        self.fault_domain() != "none"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ScenarioKind::all() {
            assert_eq!(ScenarioKind::from_name(k.name()), Some(*k));
        }
        assert_eq!(
            ScenarioKind::from_name("AsanaGlobal502to503"),
            Some(ScenarioKind::AsanaGlobal502to503)
        );
        assert_eq!(ScenarioKind::from_name("nope"), None);
    }
}
