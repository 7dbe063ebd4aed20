//! The end every HAR reader shares: pages resolved, entries tied to them,
//! per-page totals, and the damage of the file worded in the report.
//!
//! Pages may come before or after the entries in a document, so entries
//! carry their raw `pageref` until here; keeping this in one place is what
//! makes the three readers' reports identical.

use super::entry::EntryOut;
use super::schema::HarPage;
use crate::classify;
use crate::model::{FileId, InputReport, LocKind, Page, Records, SourceRef};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Pages, page references and per-page totals; fills the report.
pub(super) fn assemble(
    id: FileId,
    vantage: &Option<String>,
    report: &mut InputReport,
    raw_pages: &[(usize, &[u8])],
    outs: Vec<Result<EntryOut, String>>,
) -> Records {
    let mut records = Records::default();
    let mut pages: Vec<Page> = Vec::new();
    let mut page_start: Vec<Option<DateTime<Utc>>> = Vec::new();
    let mut page_index: HashMap<String, usize> = HashMap::new();
    for (pi, (at, raw)) in raw_pages.iter().enumerate() {
        let src = SourceRef {
            file: id,
            kind: LocKind::Byte,
            n: *at as u64,
        };
        match serde_json::from_slice::<HarPage>(raw) {
            Ok(p) => {
                let Some(pid) = p.id.get() else {
                    report
                        .warnings
                        .push(format!("page {pi} (byte {at}) has no id: ignored"));
                    continue;
                };
                if page_index.contains_key(pid) {
                    report.warnings.push(format!(
                        "duplicate page id {pid:?} (page {pi}): later one ignored"
                    ));
                    continue;
                }
                let t = p.timings.unwrap_or_default();
                page_index.insert(pid.to_string(), pages.len());
                page_start.push(p.started.get().and_then(classify::parse_ts));
                pages.push(Page {
                    source: src,
                    id: format!("{id}:{pid}"),
                    vantage: vantage.clone(),
                    start: DateTime::<Utc>::default(),
                    title: p.title.get().map(str::to_string),
                    on_content_load_ms: t.on_content_load.nonneg(),
                    on_load_ms: t.on_load.nonneg(),
                    components: 0,
                    failed_components: 0,
                    bytes: 0,
                    main_domain: None,
                });
            }
            Err(e) => report
                .warnings
                .push(format!("page {pi} (byte {at}) unreadable: {e}")),
        }
    }

    let (mut missing_ref, mut unknown_ref) = (0usize, 0usize);
    let mut first_entry_start: Vec<Option<DateTime<Utc>>> = vec![None; pages.len()];
    report.records = outs.len() as u64;
    records.requests.reserve(outs.len());
    for (i, out) in outs.into_iter().enumerate() {
        match out {
            Ok(EntryOut {
                mut request,
                pageref,
            }) => {
                report.see_ts(request.start);
                match pageref.as_deref().map(|r| page_index.get(r)) {
                    Some(Some(&pi)) => {
                        let p = &mut pages[pi];
                        request.page_id = Some(p.id.clone());
                        p.components += 1;
                        if request.status == 0 || request.status >= 400 || request.error.is_some() {
                            p.failed_components += 1;
                        }
                        p.bytes += request.transfer_bytes.or(request.body_bytes).unwrap_or(0);
                        if p.main_domain.is_none() {
                            p.main_domain = Some(request.registrable_domain.clone());
                        }
                        let f = &mut first_entry_start[pi];
                        *f = Some(f.map_or(request.start, |s| s.min(request.start)));
                    }
                    Some(None) => unknown_ref += 1,
                    None => missing_ref += 1,
                }
                records.requests.push(request);
            }
            // Counted as read (it is an entry of the file) and as bad.
            Err(why) => report.reject(SourceRef::entry(id, i as u64), why),
        }
    }
    for (pi, mut p) in pages.into_iter().enumerate() {
        match page_start[pi].or(first_entry_start[pi]) {
            Some(start) => {
                p.start = start;
                records.pages.push(p);
            }
            None => report.warnings.push(format!(
                "page {} has no startedDateTime and no entries: ignored",
                p.id
            )),
        }
    }
    if !raw_pages.is_empty() && missing_ref > 0 {
        report.warnings.push(format!(
            "{missing_ref} entries have no pageref: kept without a page"
        ));
    }
    if unknown_ref > 0 {
        report.warnings.push(format!(
            "{unknown_ref} entries reference a page id not in log.pages: kept without a page"
        ));
    }
    records
}

/// What became of `log.entries`.
#[derive(Debug, Clone, Copy)]
pub(super) struct EntriesState {
    pub(super) count: usize,
    pub(super) opened: bool,
    pub(super) closed: bool,
}

/// The first damage of the file, worded as a warning (and a rejection of
/// the file when no entry came before it).
pub(super) fn damage_account(
    id: FileId,
    report: &mut InputReport,
    damage: Option<(usize, String)>,
    st: EntriesState,
) {
    match damage {
        Some((at, why)) => {
            let k = st.count;
            if st.opened && !st.closed {
                report
                    .warnings
                    .push(format!("{why}: kept {k} complete entries"));
            } else {
                report.warnings.push(format!(
                    "{why} (outside log.entries): kept {k} complete entries"
                ));
            }
            if k == 0 && !st.closed {
                report.reject(
                    SourceRef {
                        file: id,
                        kind: LocKind::Byte,
                        n: at as u64,
                    },
                    why.clone(),
                );
                report.skipped = Some(format!("{why}: no complete entry before the damage"));
            }
        }
        None if !st.opened => report
            .warnings
            .push("HAR log has no entries array".to_string()),
        None => {}
    }
}
