//! Enum names as the exported tables store them, read back strictly.

use super::{ChangeKind, ErrorClass, LocKind, Party, ProbeKind, ResourceType};

/// The inverse of each enum's `as_str`, for tables written by faultlens
/// itself (Parquet export, engine aggregates): a name it does not know is
/// `None`, never a guess.
pub trait Named: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == s)
    }
}

macro_rules! named {
    ($t:ty, $f:expr, [$($v:expr),* $(,)?]) => {
        impl Named for $t {
            const ALL: &'static [Self] = &[$($v),*];
            fn name(self) -> &'static str {
                $f(self)
            }
        }
    };
}

named!(
    ErrorClass,
    ErrorClass::as_str,
    [
        ErrorClass::NameNotResolved,
        ErrorClass::DnsServfail,
        ErrorClass::DnsNxdomain,
        ErrorClass::DnsTimeout,
        ErrorClass::ConnectionRefused,
        ErrorClass::ConnectionReset,
        ErrorClass::ConnectionClosed,
        ErrorClass::ConnectionTimedOut,
        ErrorClass::Timeout,
        ErrorClass::InternetDisconnected,
        ErrorClass::NetworkChanged,
        ErrorClass::Proxy,
        ErrorClass::CertError,
        ErrorClass::TlsError,
        ErrorClass::BlockedByClient,
        ErrorClass::BlockedByOrb,
        ErrorClass::Aborted,
        ErrorClass::Other,
        ErrorClass::ConnectFailed,
    ]
);
named!(
    ResourceType,
    ResourceType::as_str,
    [
        ResourceType::Document,
        ResourceType::Script,
        ResourceType::Stylesheet,
        ResourceType::Image,
        ResourceType::Font,
        ResourceType::Media,
        ResourceType::Xhr,
        ResourceType::Websocket,
        ResourceType::Ping,
        ResourceType::Other,
    ]
);
named!(
    ProbeKind,
    ProbeKind::as_str,
    [
        ProbeKind::Http,
        ProbeKind::Network,
        ProbeKind::Page,
        ProbeKind::Dns,
    ]
);
named!(
    ChangeKind,
    ChangeKind::as_str,
    [
        ChangeKind::Deploy,
        ChangeKind::Config,
        ChangeKind::Rollback,
        ChangeKind::Maintenance,
        ChangeKind::Other,
    ]
);
named!(
    Party,
    Party::as_str,
    [Party::First, Party::Third, Party::Unknown]
);
named!(
    LocKind,
    LocKind::as_str,
    [LocKind::Line, LocKind::Entry, LocKind::Byte]
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Named + PartialEq + std::fmt::Debug>() {
        for v in T::ALL {
            assert_eq!(T::from_name(v.name()), Some(*v));
        }
        assert_eq!(T::from_name("no-such-name"), None);
    }

    #[test]
    fn every_name_parses_back() {
        round_trip::<ErrorClass>();
        round_trip::<ResourceType>();
        round_trip::<ProbeKind>();
        round_trip::<ChangeKind>();
        round_trip::<Party>();
        round_trip::<LocKind>();
    }
}
