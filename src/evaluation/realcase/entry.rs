//! Reading and rewriting a HAR entry's numbers the way its producer
//! typed them (an integer stays an integer, a numeric string a string),
//! keeping `time` the sum of the phases.

use super::producer::{as_f64, total_time};
use serde_json::{Map, Value, json};

pub(super) fn set_num(obj: &mut Map<String, Value>, key: &str, v: f64) {
    let old = obj.get(key).cloned().unwrap_or(json!(0));
    let nv = if old.is_i64() || old.is_u64() {
        json!(v.round() as i64)
    } else if old.is_string() {
        json!(format!("{}", v.round() as i64))
    } else {
        json!((v * 1000.0).round() / 1000.0)
    };
    obj.insert(key.into(), nv);
}

pub(super) fn timing(e: &Value, k: &str) -> f64 {
    e.pointer(&format!("/timings/{k}"))
        .and_then(as_f64)
        .unwrap_or(-1.0)
}

/// Scale / add to timing phases and keep `time` the sum of the phases.
pub(super) fn retime(e: &mut Value, ssl_in_connect: bool, f: impl Fn(&str, f64) -> f64) {
    let Some(obj) = e.as_object_mut() else { return };
    let Some(t) = obj.get_mut("timings").and_then(Value::as_object_mut) else {
        return;
    };
    let before = total_time(t, ssl_in_connect);
    for k in [
        "blocked", "dns", "connect", "ssl", "send", "wait", "receive",
    ] {
        if let Some(v) = t.get(k).and_then(as_f64)
            && v >= 0.0
        {
            let nv = f(k, v).max(0.0);
            if (nv - v).abs() > 1e-9 {
                set_num(t, k, nv);
            }
        }
    }
    let after = total_time(t, ssl_in_connect);
    let old_time = obj.get("time").and_then(as_f64).unwrap_or(before);
    if old_time >= 0.0 {
        set_num(obj, "time", (old_time + after - before).max(0.0));
    }
}

pub(super) fn entry_time(e: &Value) -> f64 {
    e.get("time").and_then(as_f64).unwrap_or(0.0).max(0.0)
}
