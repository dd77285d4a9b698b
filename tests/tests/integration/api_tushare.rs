//! The tushare family (169 Tushare Pro tools) against a loopback imitation of
//! api.tushare.pro: one POST endpoint taking {"api_name", "token", "params", "fields"} and
//! answering {"request_id", "code", "msg", "data": {"fields", "items", "has_more"}}, with
//! Tushare's error codes and Chinese messages. Every tool is called; the body the service
//! saw is checked (api name, parameters, the token put in by the host), the table becomes
//! records, the token never reaches outputs or traces, and a host without the token
//! refuses before any request. Real recorded answers from ../shared/fixtures/real/tushare
//! go through the matching tools (skipped cleanly when absent).

use dive_integration_tests::api::{self, call_opts, ok, ok_value, upstream_message};
use dive_integration_tests::{repo_root, Fixture, Reply, Seen};
use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::store::Store;
use dive_runtime::record::Recorder;
use dive_runtime::{CallError, DeterminismConfig, Outcome, Runtime};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const ORIGIN: &str = "https://api.tushare.pro";
const TOKEN: &str = "ts-TEST-token-7c1e9a4b";
const PLACEHOLDER: &str = "{{TUSHARE_TOKEN}}";

/// Tool name -> Tushare api_name, written down from the catalog (meta.upstream_api).
/// `stock_pro_bar` is the SDK's composite `ts.pro_bar`, tested on its own.
const APIS: &[(&str, &str)] = &[
    ("fx_daily", "fx_daily"), ("etf_basic", "etf_basic"), ("etf_daily", "fund_daily"),
    ("etf_index", "etf_index"), ("etf_adj", "fund_adj"), ("fut_basic", "fut_basic"),
    ("fut_daily", "fut_daily"), ("fut_holding", "fut_holding"), ("fut_settle", "fut_settle"),
    ("fut_weekly_monthly", "fut_weekly_monthly"), ("fut_weekly_detail", "fut_weekly_detail"),
    ("fut_mapping", "fut_mapping"), ("fut_wsr", "fut_wsr"), ("fut_limit", "ft_limit"),
    ("stock_namechange", "namechange"), ("stock_basic", "stock_basic"), ("stock_daily", "daily"),
    ("stock_income", "income"), ("stock_balancesheet", "balancesheet"), ("stock_cashflow", "cashflow"),
    ("stock_fina_indicator", "fina_indicator"), ("stock_dividend", "dividend"),
    ("stock_suspend", "suspend_d"), ("stock_adj_factor", "adj_factor"), ("stock_money_flow", "moneyflow_dc"),
    ("stock_top10_holders", "top10_holders"), ("stock_top10_floatholders", "top10_floatholders"),
    ("stock_weekly", "weekly"), ("stock_monthly", "monthly"), ("stock_holder_number", "stk_holdernumber"),
    ("stock_repurchase", "repurchase"), ("stock_pledge_stat", "pledge_stat"),
    ("stock_block_trade", "block_trade"), ("stock_stk_holdertrade", "stk_holdertrade"),
    ("stock_concept_detail", "concept_detail"), ("stock_trade_cal", "trade_cal"),
    ("stock_company", "stock_company"), ("stock_managers", "stk_managers"), ("stock_hs_const", "stock_hsgt"),
    ("stock_daily_basic", "daily_basic"), ("stock_suspend_d", "suspend_d"), ("stock_pro_bar", "pro_bar"),
    ("stock_top_list", "top_list"), ("stock_forecast", "forecast"), ("stock_express", "express"),
    ("stock_disclosure_date", "disclosure_date"), ("stock_moneyflow_ths", "moneyflow_ths"),
    ("stock_sector_money_flow", "moneyflow_ind_dc"), ("stock_market_money_flow", "moneyflow_mkt_dc"),
    ("stock_margin", "margin"), ("stock_margin_detail", "margin_detail"), ("stock_hk_hold", "hk_hold"),
    ("stock_stk_factor", "stk_factor"), ("stock_cyq_perc", "cyq_chips"),
    ("stock_broker_recommend", "broker_recommend"), ("stock_stk_surv", "stk_surv"),
    ("stock_share_float", "share_float"), ("stock_pledge_detail", "pledge_detail"),
    ("stock_fina_mainbz", "fina_mainbz"), ("stock_fina_indicator_vip", "fina_indicator_vip"),
    ("stock_balancesheet_vip", "balancesheet_vip"), ("stock_income_vip", "income_vip"),
    ("stock_cashflow_vip", "cashflow_vip"), ("stock_bak_daily", "bak_daily"),
    ("stock_index_dailybasic", "index_dailybasic"), ("stock_index_member", "index_member"),
    ("stock_stk_rewards", "stk_rewards"), ("stock_stk_splits", "dividend"), ("stock_ggt_top10", "ggt_top10"),
    ("stock_stk_holds", "stk_holdertrade"), ("stock_ccas_hold", "ccass_hold"),
    ("stock_ccas_hold_detail", "ccass_hold_detail"), ("stock_ah_ratio", "stk_ah_comparison"),
    ("stock_broker_forecast", "broker_forecast"), ("stock_auction_open", "stk_auction_open"),
    ("stock_auction_close", "stk_auction_c"), ("stock_stk_limit_pool", "limit_list_d"),
    ("stock_lhb_detail", "top_inst"), ("stock_cyq_chips", "cyq_chips"),
    ("stock_stk_nine_turn", "stk_nineturn"), ("stock_limit_list_d", "limit_list_d"),
    ("stock_tdx_daily", "tdx_daily"), ("stock_hm_detail", "hm_detail"), ("stock_limit_step", "limit_step"),
    ("stock_limit_board", "limit_cpt_list"), ("stock_ths_hot", "ths_hot"), ("stock_em_hot", "em_hot"),
    ("stock_kpl_topic", "kpl_concept"), ("stock_moneyflow_hsgt", "moneyflow_hsgt"),
    ("stock_moneyflow", "moneyflow"), ("stock_stk_ah_comparison", "stk_ah_comparison"),
    ("stock_cyq_perf", "cyq_perf"), ("stock_ccass_hold_detail", "ccass_hold_detail"),
    ("stock_tdx_member", "tdx_member"), ("stock_tdx_index", "tdx_index"), ("stock_hm_list", "hm_list"),
    ("stock_dc_index", "dc_index"), ("stock_ths_index", "ths_index"), ("stock_dc_member", "dc_member"),
    ("stock_ths_member", "ths_member"), ("stock_kpl_list", "kpl_list"), ("stock_stk_auction", "stk_auction"),
    ("stock_ggt_daily", "ggt_daily"), ("stock_ggt_monthly", "ggt_monthly"),
    ("stock_hsgt_top10", "hsgt_top10"), ("stock_top_inst", "top_inst"), ("stock_stk_limit", "stk_limit"),
    ("stock_report_rc", "report_rc"), ("stock_ccass_hold", "ccass_hold"),
    ("stock_limit_list_ths", "limit_list_ths"), ("stock_dc_daily", "dc_daily"),
    ("stock_ths_daily", "ths_daily"), ("stock_slb_len_mm", "slb_len_mm"),
    ("stock_slb_sec_detail", "slb_sec_detail"), ("stock_slb_sec", "slb_sec"),
    ("stock_bak_basic", "bak_basic"), ("stock_stk_factor_pro", "stk_factor_pro"),
    ("index_basic", "index_basic"), ("index_ci_daily", "ci_daily"), ("index_ci_member", "ci_index_member"),
    ("index_daily", "index_daily"), ("index_daily_info", "index_dailybasic"),
    ("index_factor", "idx_factor_pro"), ("index_global", "index_global"), ("index_monthly", "index_monthly"),
    ("index_sw_daily", "sw_daily"), ("index_sw_member", "index_member_all"),
    ("index_sz_market", "sz_daily_info"), ("index_weekly", "index_weekly"), ("index_weight", "index_weight"),
    ("fund_basic", "fund_basic"), ("fund_div", "fund_div"), ("fund_factor", "fund_factor_pro"),
    ("fund_manager", "fund_manager"), ("fund_nav", "fund_nav"), ("fund_portfolio", "fund_portfolio"),
    ("fund_share", "fund_share"), ("opt_basic", "opt_basic"), ("opt_daily", "opt_daily"),
    ("hk_basic", "hk_basic"), ("hk_tradecal", "hk_tradecal"), ("cb_basic", "cb_basic"),
    ("cb_daily", "cb_daily"), ("cb_issue", "cb_issue"), ("cb_rate", "cb_rate"), ("cb_call", "cb_call"),
    ("cb_share", "cb_share"), ("cb_factor_pro", "cb_factor_pro"), ("repo_daily", "repo_daily"),
    ("us_tycr", "us_tycr"), ("us_trycr", "us_trycr"), ("bc_otcqt", "bc_otcqt"),
    ("bc_bestotcqt", "bc_bestotcqt"), ("film_record", "film_record"), ("tv_record", "teleplay_record"),
    ("tmt_twincome", "tmt_twincome"), ("tmt_twincome_detail", "tmt_twincomedetail"),
    ("trade_cal", "trade_cal"), ("anns_d", "anns_d"), ("sse_qa", "irm_qa_sh"), ("szse_qa", "irm_qa_sz"),
    ("news_cctv", "cctv_news"), ("cn_gdp", "cn_gdp"), ("cn_ppi", "cn_ppi"), ("cn_m", "cn_m"),
    ("cn_pmi", "cn_pmi"), ("us_tbr", "us_tbr"), ("libor", "libor"), ("hibor", "hibor"),
];

fn api_of(tool: &str) -> &'static str {
    APIS.iter().find(|(t, _)| *t == tool).map(|(_, a)| *a).unwrap_or_else(|| panic!("{tool} is not in the catalog list"))
}

async fn runtime(f: &Fixture, token: Option<&str>) -> Runtime {
    api::runtime(&[(ORIGIN, f.url())], api::secret("TUSHARE_TOKEN", token)).await
}

/// The tools of the tushare package, by name, with their input schemas.
fn family(rt: &Runtime) -> BTreeMap<String, Value> {
    let pkg = rt
        .packages()
        .iter()
        .find(|p| p.manifest.path.parent().and_then(|d| d.file_name()).is_some_and(|n| n == "tushare"))
        .expect("the pool has the tushare package");
    pkg.tools.iter().map(|t| (t.name.clone(), t.input_schema.value().clone())).collect()
}

/// Tushare's answer envelope.
fn envelope(code: i64, msg: &str, data: Value) -> Value {
    json!({"request_id": "9d3c1a52-6f0e-4c1b-8d8e-1c2b3a4d5e6f", "code": code, "data": data, "msg": msg})
}

const RATE_MSG: &str = "抱歉，您每分钟最多访问该接口500次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。";
const TOKEN_MSG: &str = "您的token不对，请确认。";

/// The imitation of api.tushare.pro. A wrong token is code 40001; some ts_codes trigger
/// the failure shapes; otherwise a two-row table built from the request (honouring
/// `fields` as Tushare does: only the asked columns, in the asked order).
fn tushare(s: &Seen) -> Reply {
    if s.method != "POST" || s.path_and_query != "/" {
        return Reply::text(404, "text/html", "<html><body><h1>404 Not Found</h1></body></html>");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&s.body) else {
        return Reply::json(200, &envelope(-2001, "参数格式错误", Value::Null));
    };
    if body["token"] != TOKEN {
        return Reply::json(200, &envelope(40001, TOKEN_MSG, Value::Null));
    }
    let api = body["api_name"].as_str().unwrap_or_default();
    let p = &body["params"];
    match p["ts_code"].as_str() {
        Some("LIMITED.SZ") => return Reply::json(200, &envelope(40203, RATE_MSG, Value::Null)),
        Some("DOWN.SZ") => return Reply::text(500, "text/html", "<html><head><title>500 Internal Server Error</title></head></html>"),
        Some("EMPTY.SZ") => return Reply::text(200, "application/json", ""),
        Some("CUT.SZ") => return Reply::text(200, "application/json", r#"{"request_id": "x", "code": 0, "data": {"fields": ["ts_code"], "items": [["0000"#),
        Some("RAGGED.SZ") => return Reply::json(200, &envelope(0, "", json!({"fields": ["ts_code", "close"], "items": [["000001.SZ"]], "has_more": false}))),
        _ => {}
    }
    let code = p["ts_code"].as_str().unwrap_or("600000.SH");
    let all = ["ts_code", "trade_date", "close", "api", "n_params"];
    let rows = [
        vec![json!(code), json!("20240103"), json!(10.25), json!(api), json!(p.as_object().map_or(0, |o| o.len()))],
        vec![json!(code), json!("20240102"), Value::Null, json!(api), json!(0)],
    ];
    let (fields, items) = dive_integration_tests::tushare_table(&body, &all, &rows);
    let data = json!({
        "fields": fields,
        "items": items,
        "has_more": api == "daily",
        "count": -1,
    });
    Reply::json(200, &envelope(0, "", data))
}

/// A value for one parameter, from its schema (enums: the last choice).
fn sample(name: &str, schema: &Value) -> Value {
    if let Some(e) = schema["enum"].as_array() {
        return e.last().unwrap().clone();
    }
    if schema["type"] == "integer" {
        return json!(7);
    }
    match (name, schema["x-dive-type"].as_str()) {
        ("fields", _) => json!("api,ts_code,close"),
        ("ts_code", _) => json!("000001.SZ"),
        (_, Some("ts_code")) => json!("00700.HK"),
        (_, Some("date")) => json!("20240105"),
        (_, Some("month")) => json!("202401"),
        (_, Some("quarter")) => json!("2024Q1"),
        (_, Some("exchange")) => json!("SSE"),
        _ => json!(format!("{name}-x")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_sends_its_request_and_gets_records() {
    let f = Fixture::start(tushare).await;
    let rt = runtime(&f, Some(TOKEN)).await;
    let tools = family(&rt);
    assert_eq!(tools.len(), 169, "one tool per distinct catalog name");
    assert_eq!(tools.keys().cloned().collect::<BTreeSet<_>>(), APIS.iter().map(|(t, _)| t.to_string()).collect::<BTreeSet<_>>());

    for (tool, schema) in &tools {
        let entry = rt.tool(tool).unwrap();
        assert!(entry.spec.description.len() > 20, "{tool}: a description");
        assert!(entry.spec.output_schema.is_some(), "{tool}: an output schema");
        assert_eq!(schema["additionalProperties"], false, "{tool}");
        for (p, ps) in schema["properties"].as_object().unwrap() {
            assert!(ps["description"].as_str().is_some_and(|d| !d.is_empty()), "{tool}.{p}: a description");
            if p == "trade_date" {
                assert_eq!(ps["x-dive-type"], "date", "{tool}.{p}");
            }
        }
        if tool == "stock_pro_bar" {
            continue; // a composite of several apis: stock_pro_bar_* tests
        }
        let api = api_of(tool);
        let props = schema["properties"].as_object().unwrap();
        let required: BTreeSet<String> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();

        // Every parameter given: each is sent under its own name, `fields` in the body.
        let args: Map<String, Value> = props.iter().map(|(k, ps)| (k.clone(), sample(k, ps))).collect();
        let before = f.seen().len();
        let rec = rt.call(tool, &Value::Object(args.clone()).to_string(), &call_opts()).await.unwrap();
        let out = ok_value(tool, &rec.outcome);
        let seen = f.seen();
        assert_eq!(seen.len(), before + 1, "{tool}: one request");
        let s = seen.last().unwrap();
        assert_eq!((s.method.as_str(), s.path_and_query.as_str()), ("POST", "/"), "{tool}");
        assert!(s.header("content-type").is_some_and(|c| c.starts_with("application/json")), "{tool}");
        let body: Value = serde_json::from_slice(&s.body).unwrap();
        assert_eq!(body["api_name"], api, "{tool}");
        assert_eq!(body["token"], TOKEN, "{tool}: the host put the token in place of the placeholder");
        let mut want_params = args.clone();
        let fields = want_params.remove("fields");
        assert_eq!(body["params"], Value::Object(want_params), "{tool}: parameters");
        assert_eq!(body["fields"], fields.clone().unwrap_or(json!("")), "{tool}: fields");
        // The guest wrote the placeholder, never the token; the trace keeps what the guest wrote.
        let sent = String::from_utf8_lossy(&rec.exchanges[0].request.body).into_owned();
        assert!(sent.contains(PLACEHOLDER) && !sent.contains(TOKEN), "{tool}: {sent}");
        // Records: objects keyed by column, in Tushare's column order.
        let text = match &rec.outcome {
            Outcome::Ok(t) => t.clone(),
            _ => unreachable!(),
        };
        assert!(!text.contains(TOKEN) && !text.contains(PLACEHOLDER), "{tool}");
        assert_eq!(out["api_name"], api, "{tool}");
        assert_eq!(out["count"], 2, "{tool}");
        assert_eq!(out["has_more"], api == "daily", "{tool}");
        let cols: Vec<&str> = if fields.is_some() { vec!["api", "ts_code", "close"] } else { vec!["ts_code", "trade_date", "close", "api", "n_params"] };
        assert_eq!(out["fields"], json!(cols), "{tool}");
        let r0 = out["records"][0].as_object().unwrap();
        assert_eq!(r0.keys().map(String::as_str).collect::<Vec<_>>(), cols, "{tool}: record keys in column order");
        assert_eq!(r0["api"], api, "{tool}");
        assert_eq!(r0["close"], 10.25, "{tool}");
        assert_eq!(r0["ts_code"], args.get("ts_code").cloned().unwrap_or(json!("600000.SH")), "{tool}");
        assert_eq!(out["records"][1]["close"], Value::Null, "{tool}: nulls kept");

        // Only the required parameters: nothing else is sent.
        let args: Map<String, Value> = props.iter().filter(|(k, _)| required.contains(*k)).map(|(k, ps)| (k.clone(), sample(k, ps))).collect();
        ok(&rt, tool, Value::Object(args)).await;
        let body: Value = serde_json::from_slice(&f.seen().last().unwrap().body).unwrap();
        let sent: BTreeSet<String> = body["params"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(sent, required.iter().filter(|k| *k != "fields").cloned().collect::<BTreeSet<_>>(), "{tool}: only the given parameters");
        assert_eq!(body["fields"], "", "{tool}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integer_parameters_stay_numbers() {
    let f = Fixture::start(tushare).await;
    let rt = runtime(&f, Some(TOKEN)).await;
    ok(&rt, "fund_manager", json!({"ts_code": "150018.SZ", "offset": 100, "limit": 50})).await;
    let body: Value = serde_json::from_slice(&f.seen().last().unwrap().body).unwrap();
    assert_eq!(body["params"], json!({"ts_code": "150018.SZ", "offset": 100, "limit": 50}));
    ok(&rt, "stock_cashflow", json!({"ts_code": "600000.SH", "period": "20231231", "is_calc": 1})).await;
    let body: Value = serde_json::from_slice(&f.seen().last().unwrap().body).unwrap();
    assert_eq!(body["params"], json!({"ts_code": "600000.SH", "period": "20231231", "is_calc": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tushare_errors_are_upstream_errors_with_its_message() {
    let f = Fixture::start(tushare).await;
    let rt = runtime(&f, Some(TOKEN)).await;
    let call = |tool: &'static str, code: &'static str| {
        let rt = &rt;
        async move { rt.call(tool, &json!({"ts_code": code}).to_string(), &call_opts()).await.unwrap() }
    };
    // Rate limit (code 40203, Tushare's Chinese message).
    let m = upstream_message("stock_daily", &call("stock_daily", "LIMITED.SZ").await.outcome);
    assert!(m.contains("40203") && m.contains(RATE_MSG), "{m}");
    // HTTP 500: retried by the SDK (each attempt recorded), then reported with the status.
    let rec = call("fut_daily", "DOWN.SZ").await;
    let m = upstream_message("fut_daily", &rec.outcome);
    assert!(m.contains("HTTP 500"), "{m}");
    assert_eq!(rec.exchanges.len(), 3);
    // Empty body, cut-off JSON, a row that does not fit the columns.
    let m = upstream_message("stock_daily", &call("stock_daily", "EMPTY.SZ").await.outcome);
    assert!(m.contains("empty"), "{m}");
    let m = upstream_message("index_daily", &call("index_daily", "CUT.SZ").await.outcome);
    assert!(m.contains("not JSON") && m.contains("0000"), "{m}");
    let m = upstream_message("fx_daily", &call("fx_daily", "RAGGED.SZ").await.outcome);
    assert!(m.contains("malformed") && m.contains("1 values for 2 fields"), "{m}");

    // A token Tushare does not accept: code 40001 and its message; the token is not echoed.
    let rt_bad = runtime(&f, Some("not-the-right-token-31337")).await;
    let rec = rt_bad.call("stock_basic", &json!({"list_status": "L"}).to_string(), &call_opts()).await.unwrap();
    let m = upstream_message("stock_basic", &rec.outcome);
    assert!(m.contains("40001") && m.contains(TOKEN_MSG), "{m}");
    assert!(!m.contains("not-the-right-token-31337"));
    let body: Value = serde_json::from_slice(&f.seen().last().unwrap().body).unwrap();
    assert_eq!(body["token"], "not-the-right-token-31337");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_without_the_token_refuses_before_any_request() {
    let f = Fixture::start(tushare).await;
    let rt = runtime(&f, None).await;
    for (tool, args) in [
        ("stock_daily", json!({"ts_code": "000001.SZ"})),
        ("cn_gdp", json!({})),
        ("stock_pro_bar", json!({"ts_code": "000001.SZ", "adj": "qfq"})),
    ] {
        match rt.call(tool, &args.to_string(), &call_opts()).await {
            Err(CallError::MissingSecret(e)) => {
                let m = e.to_string();
                assert!(m.contains("TUSHARE_TOKEN") && m.contains("--secrets"), "{m}");
            }
            other => panic!("{tool}: expected a missing-secret error, got {other:?}"),
        }
    }
    assert!(f.seen().is_empty(), "no request without the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_send_nothing() {
    let f = Fixture::start(tushare).await;
    let rt = runtime(&f, Some(TOKEN)).await;
    for (tool, args) in [
        ("stock_income", json!({})),
        ("stock_broker_recommend", json!({"ts_code": "000001.SZ"})),
        ("stock_basic", json!({"list_status": "X"})),
        ("fut_basic", json!({"exchange": "NYMEX"})),
        ("fx_daily", json!({"bogus": 1})),
        ("stock_cashflow", json!({"ts_code": "000001.SZ", "is_calc": "yes"})),
        ("stock_pro_bar", json!({"ts_code": "000001.SZ", "freq": "60min"})),
    ] {
        let err = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap_err();
        assert!(matches!(err, CallError::InvalidArgs { .. }), "{tool} {args}: {err}");
    }
    // A required value that is only blanks passes the schema; the tool refuses it.
    for (tool, args) in [("stock_income", json!({"ts_code": "  "})), ("index_weight", json!({"index_code": ""}))] {
        let o = rt.call(tool, &args.to_string(), &call_opts()).await.unwrap().outcome;
        assert!(matches!(&o, Outcome::ToolError { kind: ToolErrorKind::InvalidArgs, message } if message.contains("required")), "{tool}: {o:?}");
    }
    assert!(f.seen().is_empty(), "rejected arguments send nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_reaches_a_trace() {
    let f = Fixture::start(tushare).await;
    let rt = runtime(&f, Some(TOKEN)).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let rec = Recorder::new(&rt, &store, DeterminismConfig { seed: 1, clock_ns: 0 });
    rec.call("stock_daily", &json!({"ts_code": "000001.SZ", "trade_date": "20240105"}).to_string()).await.unwrap();
    rec.call("stock_daily", &json!({"ts_code": "LIMITED.SZ"}).to_string()).await.unwrap();
    rec.finish().unwrap();
    store.flush().unwrap();
    let (mut files, mut with_placeholder) = (0, 0);
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let b = std::fs::read(&p).unwrap();
            files += 1;
            assert!(!b.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "{} holds the token", p.display());
            with_placeholder += b.windows(PLACEHOLDER.len()).any(|w| w == PLACEHOLDER.as_bytes()) as usize;
        }
    }
    assert!(files > 2, "the trace and its blobs were written");
    assert!(with_placeholder >= 1, "the request bodies are recorded, with the placeholder");
}

/// For the pro_bar tests: daily bars, weekly index bars, futures and coins, and the
/// adjustment factors of 000001.SZ.
fn bars(s: &Seen) -> Reply {
    let body: Value = serde_json::from_slice(&s.body).unwrap();
    assert_eq!(body["token"], TOKEN);
    let api = body["api_name"].as_str().unwrap();
    let data = match api {
        "daily" | "weekly" | "index_weekly" | "fut_weekly_monthly" | "coinbar" => json!({
            "fields": ["ts_code", "trade_date", "open", "high", "low", "close", "pre_close", "change", "vol"],
            "items": [
                ["000001.SZ", "20240105", 9.30, 9.40, 9.20, 9.25, 9.30, -0.05, 1000.0],
                ["000001.SZ", "20240104", 9.20, 9.35, 9.10, 9.30, 9.20, 0.10, 1200.0],
                ["000001.SZ", "20240103", 9.00, 9.25, 8.95, 9.20, 9.00, 0.20, 900.0]
            ],
            "has_more": false
        }),
        "adj_factor" => json!({
            "fields": ["ts_code", "trade_date", "adj_factor"],
            "items": [["000001.SZ", "20240105", 120.0], ["000001.SZ", "20240104", 120.0], ["000001.SZ", "20240103", 100.0]],
            "has_more": false
        }),
        other => return Reply::json(200, &envelope(-1, &format!("没有该接口: {other}"), Value::Null)),
    };
    Reply::json(200, &envelope(0, "", data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_pro_bar_picks_the_api_and_adjusts_stock_prices() {
    let f = Fixture::start(bars).await;
    let rt = runtime(&f, Some(TOKEN)).await;
    let bodies = |n: usize| -> Vec<Value> {
        let s = f.seen();
        s[s.len() - n..].iter().map(|x| serde_json::from_slice(&x.body).unwrap()).collect()
    };

    // Raw daily bars: one `daily` request, prices as sent.
    let out = ok(&rt, "stock_pro_bar", json!({"ts_code": "000001.SZ", "start_date": "20240101", "end_date": "20240105"})).await;
    let b = bodies(1);
    assert_eq!(b[0]["api_name"], "daily");
    assert_eq!(b[0]["params"], json!({"ts_code": "000001.SZ", "start_date": "20240101", "end_date": "20240105"}));
    assert_eq!((out["api_name"].clone(), out["adj"].clone(), out["records"][2]["close"].clone()), (json!("daily"), Value::Null, json!(9.2)));

    // Forward adjustment: the factors fetched for the same range; price * f / latest f.
    let out = ok(&rt, "stock_pro_bar", json!({"ts_code": "000001.SZ", "adj": "qfq", "start_date": "20240101", "end_date": "20240105"})).await;
    let b = bodies(2);
    assert_eq!((b[0]["api_name"].as_str(), b[1]["api_name"].as_str()), (Some("daily"), Some("adj_factor")));
    assert_eq!(b[1]["params"], json!({"ts_code": "000001.SZ", "start_date": "20240101", "end_date": "20240105"}));
    assert_eq!(out["adj"], "qfq");
    assert_eq!(out["records"][0]["close"], 9.25, "the latest day keeps its price");
    assert_eq!(out["records"][2]["close"], 7.67, "9.20 * 100 / 120, to the cent");
    assert_eq!(out["records"][2]["open"], 7.5);
    assert_eq!(out["records"][2]["vol"], 900.0, "volume is not a price");
    assert_eq!(out["records"][2]["change"], 0.2, "change is left as sent");

    // Backward adjustment: price * f.
    let out = ok(&rt, "stock_pro_bar", json!({"ts_code": "000001.SZ", "adj": "hfq", "freq": "W"})).await;
    let b = bodies(2);
    assert_eq!((b[0]["api_name"].as_str(), b[1]["api_name"].as_str()), (Some("weekly"), Some("adj_factor")));
    assert_eq!(out["records"][0]["close"], 1110.0);
    assert_eq!(out["records"][2]["high"], 925.0);

    // "None" is no adjustment; other assets pick their own api and never adjust.
    for (args, api, extra) in [
        (json!({"ts_code": "000001.SZ", "adj": "None"}), "daily", json!({})),
        (json!({"ts_code": "000300.SH", "asset": "I", "freq": "W", "adj": "qfq"}), "index_weekly", json!({})),
        (json!({"ts_code": "CU2403.SHF", "asset": "FT", "freq": "M"}), "fut_weekly_monthly", json!({"freq": "month"})),
        (json!({"ts_code": "btcusdt", "asset": "C"}), "coinbar", json!({"freq": "daily"})),
    ] {
        let n = f.seen().len();
        let out = ok(&rt, "stock_pro_bar", args.clone()).await;
        assert_eq!(f.seen().len(), n + 1, "{args}: one request");
        let b = bodies(1);
        assert_eq!(b[0]["api_name"], api, "{args}");
        for (k, v) in extra.as_object().unwrap() {
            assert_eq!(&b[0]["params"][k], v, "{args}");
        }
        let code_key = if api == "coinbar" { "symbol" } else { "ts_code" };
        assert_eq!(b[0]["params"][code_key], args["ts_code"], "{args}");
        assert_eq!((out["api_name"].as_str(), &out["adj"]), (Some(api), &Value::Null), "{args}");
        assert_eq!(out["records"][2]["close"], 9.2, "{args}: raw prices");
    }
}

/// Real answers recorded from api.tushare.pro (tushare-kmp test resources), each fed to
/// the tool whose api produced it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_recorded_answers() {
    let dir = repo_root().join("../shared/fixtures/real/tushare/raw");
    if !dir.is_dir() {
        eprintln!("skipping: ../shared/fixtures/real/tushare is absent");
        return;
    }
    // (file, api the file answered, tools that call that api, arguments)
    let cases: Vec<(&str, &str, Vec<&str>, Value)> = vec![
        ("adj_factor", "adj_factor", vec!["stock_adj_factor"], json!({"ts_code": "000001.SZ"})),
        ("ci_daily", "ci_daily", vec!["index_ci_daily"], json!({"trade_date": "20230705"})),
        ("fina_indicator", "fina_indicator", vec!["stock_fina_indicator"], json!({"ts_code": "600000.SH"})),
        ("income", "income", vec!["stock_income"], json!({"ts_code": "600000.SH"})),
        ("index_basic", "index_basic", vec!["index_basic"], json!({"market": "SW"})),
        ("margin", "margin", vec!["stock_margin"], json!({"trade_date": "20220615"})),
        ("moneyflow", "moneyflow", vec!["stock_moneyflow"], json!({"ts_code": "000627.SZ"})),
        ("share_float", "share_float", vec!["stock_share_float"], json!({"ts_code": "000998.SZ"})),
        ("stk_holdernumber", "stk_holdernumber", vec!["stock_holder_number"], json!({"ts_code": "300199.SZ"})),
        ("suspend_d", "suspend_d", vec!["stock_suspend_d", "stock_suspend"], json!({"trade_date": "20200312"})),
        ("top10_holders", "top10_holders", vec!["stock_top10_holders"], json!({"ts_code": "600000.SH"})),
        ("top_list", "top_list", vec!["stock_top_list"], json!({"trade_date": "20240105"})),
        ("trade_cal", "trade_cal", vec!["trade_cal", "stock_trade_cal"], json!({"exchange": "SSE"})),
    ];
    let files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            let name = p.file_name()?.to_str()?.strip_prefix("tushare-kmp__")?.strip_suffix(".json")?.to_string();
            Some((name, std::fs::read(&p).ok()?))
        })
        .collect();
    let by_api: BTreeMap<String, Vec<u8>> = cases.iter().filter_map(|(file, api, _, _)| Some((api.to_string(), files.get(*file)?.clone()))).collect();
    let denied = files.get("api_error_40203").cloned();
    let f = Fixture::start(move |s: &Seen| {
        let body: Value = serde_json::from_slice(&s.body).unwrap();
        if body["params"]["ts_code"] == "DENIED.SZ" {
            if let Some(b) = &denied {
                return Reply::text(200, "application/json", b.clone());
            }
        }
        match by_api.get(body["api_name"].as_str().unwrap_or_default()) {
            Some(b) => Reply::text(200, "application/json", b.clone()),
            None => Reply::json(200, &envelope(-1, "no recording for this api", Value::Null)),
        }
    })
    .await;
    let rt = runtime(&f, Some(TOKEN)).await;
    let mut checked = 0;
    for (file, api, tools, args) in &cases {
        let Some(raw) = files.get(*file) else { continue };
        let recorded: Value = serde_json::from_slice(raw).unwrap();
        let want_fields = recorded["data"]["fields"].as_array().unwrap();
        let want_items = recorded["data"]["items"].as_array().unwrap();
        for tool in tools {
            assert_eq!(api_of(tool), *api, "{tool}");
            let out = ok(&rt, tool, args.clone()).await;
            assert_eq!(&out["fields"], &recorded["data"]["fields"], "{tool}");
            assert_eq!(out["count"].as_u64().unwrap() as usize, want_items.len(), "{tool}");
            assert_eq!(out["has_more"], recorded["data"]["has_more"].as_bool().unwrap_or(false), "{tool}");
            for (row, rec) in want_items.iter().zip(out["records"].as_array().unwrap()) {
                for (i, field) in want_fields.iter().enumerate() {
                    assert_eq!(&rec[field.as_str().unwrap()], &row[i], "{tool}: {field}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} recorded answers checked");
    // Spot checks on values from the recordings.
    let rec = |tool: &'static str, args: Value| {
        let rt = &rt;
        async move { ok(rt, tool, args).await }
    };
    if files.contains_key("adj_factor") {
        let out = rec("stock_adj_factor", json!({"ts_code": "000001.SZ"})).await;
        assert_eq!(out["records"][0], json!({"ts_code": "000001.SZ", "trade_date": "20181011", "adj_factor": 108.031}));
    }
    if files.contains_key("margin") {
        let out = rec("stock_margin", json!({"trade_date": "20220615"})).await;
        assert_eq!((out["records"][0]["exchange_id"].as_str(), out["records"][1]["exchange_id"].as_str()), (Some("SSE"), Some("SZSE")));
        assert_eq!(out["records"][0]["rzye"], 793609922510.0);
    }
    if files.contains_key("top10_holders") {
        let out = rec("stock_top10_holders", json!({"ts_code": "600000.SH"})).await;
        assert_eq!(out["records"][0]["holder_name"], "上海国际集团有限公司");
        assert_eq!(out["records"][0]["ts_code"], "600000.SH");
    }
    if files.contains_key("trade_cal") {
        let out = rec("trade_cal", json!({"exchange": "SSE"})).await;
        assert_eq!(out["records"][0], json!({"exchange": "SSE", "cal_date": "20251231", "is_open": 1, "pretrade_date": "20251230"}));
    }
    if files.contains_key("suspend_d") {
        let out = rec("stock_suspend_d", json!({"trade_date": "20200312"})).await;
        assert!(out["records"].as_array().unwrap().iter().any(|r| r["suspend_timing"] == "09:30-10:00"));
        assert_eq!(out["records"][0]["suspend_timing"], Value::Null);
    }
    if files.contains_key("top_list") {
        let out = rec("stock_top_list", json!({"trade_date": "20240105"})).await;
        assert_eq!((out["count"].as_u64(), out["records"].as_array().map(Vec::len)), (Some(0), Some(0)), "an empty table is no error");
    }
    if files.contains_key("api_error_40203") {
        let o = rt.call("stock_daily", &json!({"ts_code": "DENIED.SZ"}).to_string(), &call_opts()).await.unwrap().outcome;
        let m = upstream_message("stock_daily", &o);
        assert!(m.contains("40203") && m.contains("没有接口访问权限"), "{m}");
    }
}
