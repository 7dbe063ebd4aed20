//! The simulated site: its regions, its hosts, the API endpoints each
//! site name serves and the third parties its pages load.
//!
//! Why fixed tables: the fault model hits roles and endpoint families, and
//! the writers name hosts and paths; one table keeps them talking about
//! the same site.

pub(crate) const REGIONS: [&str; 3] = ["us-east", "eu-west", "ap-south"];

/// Round-trip time from a region to the origin.
pub(crate) fn region_rtt(region: &str) -> f64 {
    match region {
        "us-east" => 20.0,
        "eu-west" => 80.0,
        "ap-south" => 180.0,
        _ => 60.0,
    }
}

/// Which kind of host a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    App,
    Api,
    Static,
    Third(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Auth,
    User,
    Projects,
    Messages,
    Payments,
    Transfers,
    Balance,
    Conversations,
}

#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub method: &'static str,
    /// `{n}` is replaced by a numeric id.
    pub path: &'static str,
    pub family: Family,
    /// The page cannot render its main content without it.
    pub core: bool,
    /// Share of API traffic.
    pub weight: f64,
}

pub(crate) struct ThirdHost {
    pub host: &'static str,
    pub path: &'static str,
}

pub(crate) const THIRD_PARTIES: [ThirdHost; 4] = [
    ThirdHost {
        host: "www.googletagmanager.com",
        path: "/gtag/js?id=G-4F2K9XQ7LM",
    },
    ThirdHost {
        host: "cdn.segment.com",
        path: "/analytics.js/v1/Xk29dLq0pZ7w/analytics.min.js",
    },
    ThirdHost {
        host: "js.stripe.com",
        path: "/v3/",
    },
    ThirdHost {
        host: "widget.intercom.io",
        path: "/widget/r1k2q3x9",
    },
];

pub(super) fn endpoints_for(site: &str) -> Vec<Endpoint> {
    let e = |method, path, family, core, weight| Endpoint {
        method,
        path,
        family,
        core,
        weight,
    };
    let mut v = vec![
        e("GET", "/api/v1/auth/session", Family::Auth, true, 0.15),
        e("GET", "/api/v1/users/me", Family::User, false, 0.1),
    ];
    match site {
        "asana" => v.extend([
            e(
                "GET",
                "/api/v1/projects/{n}/tasks",
                Family::Projects,
                true,
                0.4,
            ),
            e(
                "GET",
                "/api/v1/workspaces/{n}/projects",
                Family::Projects,
                false,
                0.2,
            ),
            e(
                "POST",
                "/api/v1/tasks/{n}/stories",
                Family::Messages,
                false,
                0.15,
            ),
        ]),
        "chatgpt" => v.extend([
            e(
                "GET",
                "/api/v1/conversations/{n}",
                Family::Conversations,
                true,
                0.3,
            ),
            e(
                "POST",
                "/api/v1/chat/completions",
                Family::Conversations,
                false,
                0.35,
            ),
            e("GET", "/api/v1/models", Family::Projects, false, 0.1),
        ]),
        "discord" => v.extend([
            e(
                "GET",
                "/api/v1/channels/{n}/messages",
                Family::Messages,
                false,
                0.4,
            ),
            e(
                "GET",
                "/api/v1/guilds/{n}/channels",
                Family::Projects,
                true,
                0.2,
            ),
            e(
                "POST",
                "/api/v1/channels/{n}/messages",
                Family::Messages,
                false,
                0.15,
            ),
        ]),
        "barclays" => v.extend([
            e("GET", "/api/v1/payments", Family::Payments, false, 0.25),
            e(
                "GET",
                "/api/v1/accounts/{n}/balance",
                Family::Balance,
                true,
                0.3,
            ),
            e("POST", "/api/v1/transfers", Family::Transfers, false, 0.15),
        ]),
        _ => v.extend([
            e(
                "GET",
                "/api/v1/projects/{n}/tasks",
                Family::Projects,
                true,
                0.35,
            ),
            e("GET", "/api/v1/messages", Family::Messages, false, 0.25),
            e("POST", "/api/v1/payments", Family::Payments, false, 0.1),
        ]),
    }
    v
}
