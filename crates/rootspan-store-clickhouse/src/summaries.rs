//! The read path of summaries and what hangs off them: one trace's summary, the trace list
//! (filters, text search, cursor), prefix resolution, analysis state, signatures and counts.
//! Fixed SQL with `{name:Type}` parameters, RowBinary answers, live versions picked by each
//! query (`FINAL` on summaries, the highest generation of signatures).

use crate::http::{Client, Param};
use crate::read::{LIVE_GENERATIONS, ids_in};
use crate::rowbinary::Reader;
use crate::text;
use rootspan_model::{TraceId, TraceSummary};
use rootspan_store::rows::TraceRecord;
use rootspan_store::{
    DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, PrefixMatch, StoreError, StoreResult, TraceFilter, TraceListItem,
    TraceSignature,
};
use std::collections::HashMap;

const SUMMARY_COLUMNS: &str = "trace_id, project, service, root_name, start_ns, end_ns, span_count, max_depth, llm_calls, \
     tool_calls, tool_errors, error_spans, agent_spans, input_tokens, output_tokens, cost_usd, orphans, session_id, models, tools";

fn read_summary(reader: &mut Reader<'_>) -> StoreResult<TraceSummary> {
    let spans = reader.u64()?;
    let max_depth = reader.u64()?;
    let llm_calls = reader.u64()?;
    let tool_calls = reader.u64()?;
    let tool_errors = reader.u64()?;
    let error_spans = reader.u64()?;
    let agent_spans = reader.u64()?;
    let input_tokens = reader.u64()?;
    let output_tokens = reader.u64()?;
    Ok(TraceSummary {
        spans,
        max_depth,
        llm_calls,
        tool_calls,
        tool_errors,
        error_spans,
        agent_spans,
        input_tokens,
        output_tokens,
        total_tokens: input_tokens.saturating_add(output_tokens),
        cost_usd: reader.f64()?,
        orphans: reader.u64()?,
    })
}

fn read_record(reader: &mut Reader<'_>) -> StoreResult<TraceRecord> {
    let trace_id = reader.fixed::<16>()?;
    let project = reader.string()?;
    let service = reader.string()?;
    let root_name = reader.string()?;
    let start_time_unix_nano = reader.u64()?;
    let end_time_unix_nano = reader.u64()?;
    let summary = read_summary(reader)?;
    Ok(TraceRecord {
        trace_id,
        project,
        service,
        root_name,
        start_time_unix_nano,
        end_time_unix_nano,
        summary,
        session_id: reader.nullable(Reader::string)?,
        models: reader.string_array()?.into_iter().collect(),
        tools: reader.string_array()?.into_iter().collect(),
    })
}

/// The stored summary of one trace.
pub fn trace_summary(client: &Client, trace_id: &TraceId) -> StoreResult<Option<TraceSummary>> {
    let body = client.select(
        "SELECT span_count, max_depth, llm_calls, tool_calls, tool_errors, error_spans, agent_spans, input_tokens,
                output_tokens, cost_usd, orphans
         FROM traces FINAL WHERE trace_id = toFixedString(unhex({trace:String}), 16) FORMAT RowBinary",
        &[Param::hex("trace", trace_id)],
    )?;
    let mut reader = Reader::new(&body);
    if reader.is_empty() {
        return Ok(None);
    }
    read_summary(&mut reader).map(Some)
}

/// Trace summaries, newest first, filtered: fixed SQL fragments, every value a parameter.
pub fn list_traces(client: &Client, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>> {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    if let Some(project) = &filter.project {
        clauses.push("project = {project:String}".into());
        params.push(Param::str("project", project));
    }
    if let Some(service) = &filter.service {
        clauses.push("service = {service:String}".into());
        params.push(Param::str("service", service));
    }
    if let Some(from) = filter.start_from_unix_nano {
        clauses.push("start_ns >= {from:UInt64}".into());
        params.push(Param::u64("from", from));
    }
    if let Some(to) = filter.start_to_unix_nano {
        clauses.push("start_ns < {to:UInt64}".into());
        params.push(Param::u64("to", to));
    }
    match filter.has_error {
        Some(true) => clauses.push("error_spans > 0".into()),
        Some(false) => clauses.push("error_spans = 0".into()),
        None => {}
    }
    if let Some(min) = filter.min_duration_ns {
        clauses.push("end_ns - start_ns >= {min_duration:UInt64}".into());
        params.push(Param::u64("min_duration", min));
    }
    if let Some(model) = &filter.model {
        clauses.push("has(models, {model:String})".into());
        params.push(Param::str("model", model));
    }
    if let Some(tool) = &filter.tool {
        clauses.push("has(tools, {tool:String})".into());
        params.push(Param::str("tool", tool));
    }
    if let Some(session) = &filter.session_id {
        clauses.push("session_id = {session:String}".into());
        params.push(Param::str("session", session));
    }
    if let Some(query) = &filter.text {
        let words = text::query_words(query);
        if words.is_empty() {
            return Err(StoreError::invalid("q: a full-text search needs at least one word of letters or digits"));
        }
        clauses.push(text_clause(words.len()));
        for (name, word) in WORD_PARAMS.iter().zip(&words) {
            params.push(Param::str(name, word));
        }
    }
    if let Some(cursor) = &filter.after {
        clauses.push(
            "(start_ns < {cursor_start:UInt64} OR (start_ns = {cursor_start:UInt64} \
             AND trace_id > toFixedString(unhex({cursor_trace:String}), 16)))"
                .into(),
        );
        params.push(Param::u64("cursor_start", cursor.start_time_unix_nano));
        params.push(Param::hex("cursor_trace", &cursor.trace_id));
    }
    let where_clause = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    params.push(Param::u64("limit", filter.limit.unwrap_or(DEFAULT_LIST_LIMIT).min(MAX_LIST_LIMIT) as u64));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM traces FINAL {where_clause}
         ORDER BY start_ns DESC, trace_id LIMIT {{limit:UInt64}} FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut records = Vec::new();
    while !reader.is_empty() {
        records.push(read_record(&mut reader)?);
    }
    let mut verdicts = signatures_of(client, records.iter().map(|r| r.trace_id))?;
    Ok(records
        .iter()
        .map(|record| {
            let (ids, mode) = verdicts.remove(&record.trace_id).unwrap_or_default();
            record.list_item(ids, mode)
        })
        .collect())
}

const WORD_PARAMS: [&str; text::MAX_QUERY_WORDS] =
    ["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10", "w11", "w12", "w13", "w14", "w15"];

/// Traces whose live spans hold every word: candidates by the token index (rows holding the
/// first word), then checked on the live version of each span.
fn text_clause(words: usize) -> String {
    let all: Vec<String> =
        WORD_PARAMS[..words].iter().map(|w| format!("max(hasToken(w, {{{w}:String}})) = 1")).collect();
    format!(
        "trace_id IN (SELECT trace_id FROM (
            SELECT trace_id, span_id, argMax(words, version) AS w FROM spans
            WHERE trace_id IN (SELECT trace_id FROM spans WHERE hasToken(words, {{w0:String}}))
            GROUP BY trace_id, span_id)
         GROUP BY trace_id HAVING {})",
        all.join(" AND ")
    )
}

/// A trace's live signature ids and the failure mode its analysis diagnosed.
type Verdict = (Vec<String>, Option<String>);

/// The live signature ids (in the order they were put) and the diagnosed failure mode of
/// these traces.
fn signatures_of(client: &Client, traces: impl Iterator<Item = TraceId>) -> StoreResult<HashMap<TraceId, Verdict>> {
    let traces: Vec<TraceId> = traces.collect();
    let mut out: HashMap<TraceId, Verdict> = HashMap::new();
    if traces.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT trace_id, signature_id, failure_mode FROM signatures
         WHERE (trace_id, generation) IN (SELECT trace_id, max(generation) FROM analysed WHERE {} GROUP BY trace_id)
         ORDER BY trace_id, ordinal LIMIT 1 BY trace_id, generation, ordinal FORMAT RowBinary",
        ids_in("trace_id")
    );
    let body = client.select(&sql, &[Param::hex_array("ids", traces.iter().map(|t| &t[..]))])?;
    let mut reader = Reader::new(&body);
    while !reader.is_empty() {
        let trace_id = reader.fixed::<16>()?;
        let signature_id = reader.string()?;
        let failure_mode = reader.nullable(Reader::string)?;
        let entry = out.entry(trace_id).or_default();
        if !entry.0.contains(&signature_id) {
            entry.0.push(signature_id);
        }
        if failure_mode > entry.1 {
            entry.1 = failure_mode;
        }
    }
    Ok(out)
}

/// What a trace id prefix matches.
pub fn resolve_trace_id(client: &Client, prefix: &str) -> StoreResult<PrefixMatch> {
    let Some(prefix) = rootspan_store::normalise_prefix(prefix) else { return Ok(PrefixMatch::None) };
    let decode = |padded: String| hex::decode(padded).map_err(|e| StoreError::invalid(e.to_string()));
    let low = decode(format!("{prefix:0<32}"))?;
    let high = decode(format!("{prefix:f<32}"))?;
    let body = client.select(
        "SELECT DISTINCT trace_id FROM trace_ranges
         WHERE trace_id >= toFixedString(unhex({low:String}), 16) AND trace_id <= toFixedString(unhex({high:String}), 16)
         LIMIT 2 FORMAT RowBinary",
        &[Param::hex("low", &low), Param::hex("high", &high)],
    )?;
    let mut reader = Reader::new(&body);
    let mut found = Vec::new();
    while !reader.is_empty() {
        found.push(reader.fixed::<16>()?);
    }
    Ok(match found.as_slice() {
        [] => PrefixMatch::None,
        [one] => PrefixMatch::Unique(*one),
        _ => PrefixMatch::Ambiguous,
    })
}

/// Traces never analysed, or analysed at another span count, oldest first.
pub fn unanalysed_traces(client: &Client, project: Option<&str>) -> StoreResult<Vec<TraceId>> {
    let (filter, params) = match project {
        Some(project) => ("project = {project:String} AND", vec![Param::str("project", project)]),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT trace_id FROM traces FINAL
         WHERE {filter} (trace_id, span_count) NOT IN (SELECT trace_id, argMax(span_count, generation) FROM analysed GROUP BY trace_id)
         ORDER BY start_ns, trace_id FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(reader.fixed::<16>()?);
    }
    Ok(out)
}

/// The live signatures of every trace (of one project), oldest first.
pub fn list_signatures(client: &Client, project: Option<&str>) -> StoreResult<Vec<TraceSignature>> {
    let (filter, params) = match project {
        Some(project) => ("WHERE project = {project:String}", vec![Param::str("project", project)]),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT trace_id, signature_id, signature, detector, service, model, start_ns, failure_mode FROM signatures
         WHERE {LIVE_GENERATIONS} AND trace_id IN (SELECT trace_id FROM traces {filter})
         ORDER BY start_ns, trace_id, ordinal LIMIT 1 BY trace_id, generation, ordinal FORMAT RowBinary"
    );
    let body = client.select(&sql, &params)?;
    let mut reader = Reader::new(&body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(TraceSignature {
            trace_id: reader.fixed::<16>()?,
            signature_id: reader.string()?,
            signature: reader.string()?,
            detector: reader.string()?,
            service: reader.string()?,
            model: reader.nullable(Reader::string)?,
            start_time_unix_nano: reader.u64()?,
            failure_mode: reader.nullable(Reader::string)?,
        });
    }
    Ok(out)
}

/// How many live signatures name each detector.
pub fn signature_counts(client: &Client) -> StoreResult<Vec<(String, u64)>> {
    let sql = format!(
        "SELECT detector, count() FROM (SELECT detector FROM signatures WHERE {LIVE_GENERATIONS}
         LIMIT 1 BY trace_id, generation, ordinal) GROUP BY detector ORDER BY detector FORMAT RowBinary"
    );
    let body = client.select(&sql, &[])?;
    let mut reader = Reader::new(&body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push((reader.string()?, reader.u64()?));
    }
    Ok(out)
}

/// Live spans stored: the sum of the live summaries' span counts.
pub fn span_count(client: &Client) -> StoreResult<u64> {
    let body = client.select("SELECT toUInt64(sum(span_count)) FROM traces FINAL FORMAT RowBinary", &[])?;
    Reader::new(&body).u64()
}

/// Bytes of the active parts of this database's tables, on the node answering.
pub fn size_bytes(client: &Client) -> StoreResult<u64> {
    let body = client.select(
        "SELECT toUInt64(sum(bytes_on_disk)) FROM system.parts WHERE database = {database:String} AND active FORMAT RowBinary",
        &[Param::str("database", client.database())],
    )?;
    Reader::new(&body).u64()
}
