//! Retrieval relevance audit: the documents each retrieval step returned (OpenInference
//! `retrieval.documents.N.document.id`, or ids in the result JSON) compared with the ids known
//! to be relevant: precision, recall, and the relevant documents never retrieved.

use crate::view::TraceView;
use rootspan_model::SpanKind;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// The audit of one retrieval step (or of all retrievals together).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrievalAudit {
    pub span_id: Option<String>,
    pub retrieved: Vec<String>,
    pub precision: f64,
    pub recall: f64,
    /// Relevant documents that were not retrieved.
    pub missing: Vec<String>,
}

/// Precision and recall of `retrieved` against `relevant`.
pub fn audit(span_id: Option<String>, retrieved: &[String], relevant: &BTreeSet<String>) -> RetrievalAudit {
    let unique: BTreeSet<&String> = retrieved.iter().collect();
    let hits = unique.iter().filter(|id| relevant.contains(**id)).count() as f64;
    RetrievalAudit {
        span_id,
        retrieved: retrieved.to_vec(),
        precision: if unique.is_empty() { 0.0 } else { hits / unique.len() as f64 },
        recall: if relevant.is_empty() { 1.0 } else { hits / relevant.len() as f64 },
        missing: relevant.iter().filter(|id| !unique.contains(id)).cloned().collect(),
    }
}

/// Document ids a retrieval span returned.
pub fn retrieved_ids(view: &TraceView, span: usize) -> Vec<String> {
    let span = &view.tree.spans[span];
    let mut ids: Vec<(usize, String)> = span
        .attributes
        .iter()
        .filter_map(|kv| {
            let rest = kv.key.strip_prefix("retrieval.documents.")?;
            let (index, field) = rest.split_once('.')?;
            (field == "document.id").then(|| (index.parse().unwrap_or(usize::MAX), kv.value.to_text()))
        })
        .collect();
    ids.sort();
    if !ids.is_empty() {
        return ids.into_iter().map(|(_, id)| id).collect();
    }
    let output = span.gen_ai.output_text.as_deref().or(span.gen_ai.tool_result.as_deref()).unwrap_or("");
    let Ok(value) = serde_json::from_str::<Value>(output) else { return Vec::new() };
    let items = value.as_array().cloned().or_else(|| {
        ["results", "documents", "hits", "items"].iter().find_map(|k| value.get(*k).and_then(Value::as_array).cloned())
    });
    items
        .into_iter()
        .flatten()
        .filter_map(|item| {
            ["id", "doc_id", "document_id"]
                .iter()
                .find_map(|k| item.get(*k))
                .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
        })
        .collect()
}

/// Audits every retrieval (and retrieval-like tool) step, then all of them together (last entry,
/// `span_id` `None`).
pub fn retrieval_audit(view: &TraceView, relevant: &BTreeSet<String>) -> Vec<RetrievalAudit> {
    let mut all = Vec::new();
    let mut out = Vec::new();
    for step in view.steps.iter().filter(|s| matches!(s.kind, SpanKind::Retrieval | SpanKind::Tool)) {
        let ids = retrieved_ids(view, step.span);
        if ids.is_empty() && step.kind != SpanKind::Retrieval {
            continue;
        }
        all.extend(ids.iter().cloned());
        out.push(audit(Some(view.span_id(step.span)), &ids, relevant));
    }
    out.push(audit(None, &all, relevant));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::techniques::fixture::span;
    use rootspan_model::SpanTree;

    #[test]
    fn precision_recall_and_missing_documents() {
        let retriever = span(
            2,
            None,
            0,
            5,
            "retrieve",
            &[
                ("openinference.span.kind", "RETRIEVER"),
                ("retrieval.documents.0.document.id", "doc-1"),
                ("retrieval.documents.1.document.id", "doc-9"),
            ],
        );
        let tree = SpanTree::build(vec![retriever]);
        let view = TraceView::new(&tree);
        let relevant: BTreeSet<String> = ["doc-1".to_owned(), "doc-2".to_owned()].into();
        let audits = retrieval_audit(&view, &relevant);
        assert_eq!(audits.len(), 2);
        assert_eq!(audits[0].retrieved, vec!["doc-1", "doc-9"]);
        assert_eq!((audits[0].precision, audits[0].recall), (0.5, 0.5));
        assert_eq!(audits[0].missing, vec!["doc-2"]);
    }
}
