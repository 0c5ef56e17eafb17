//! Stand-ins for the comment APIs the pipelines call, `gh api` (GitHub) and `curl` (GitLab notes),
//! on PATH: they keep the comments of every pull request in one JSON file, so a sequence of jobs
//! sees what the earlier ones wrote, and the test reads the final comment from it. They answer
//! only the routes the pipelines use and fail loudly on any other.

use std::path::{Path, PathBuf};

use crate::support::write;

const GH: &str = r#"#!/bin/bash
set -euo pipefail
store="$FAKE_STATE/comments.json"
[ -f "$store" ] || echo '[]' > "$store"
[ "$1" = api ] && shift
method=GET; filter=; slurp=; url=; body=
while [ $# -gt 0 ]; do
  case "$1" in
    --method) method=$2; shift 2 ;;
    --jq) filter=$2; shift 2 ;;
    --slurp) slurp=1; shift ;;
    --paginate) shift ;;
    -F) body=${2#body=@}; shift 2 ;;
    *) url=$1; shift ;;
  esac
done
answer() { if [ -n "$filter" ]; then jq -r "$filter"; elif [ -n "$slurp" ]; then jq -s .; else cat; fi; }
echo "$method $url" >> "$FAKE_STATE/log"
case "$method $url" in
  "GET repos/"*/issues/*/comments)
    n=${url%/comments}; n=${n##*/}
    jq --argjson n "$n" '[.[] | select(.issue == $n)]' "$store" | answer ;;
  "GET repos/"*/issues/comments/*)
    jq --argjson id "${url##*/}" 'first(.[] | select(.id == $id))' "$store" | answer ;;
  "PATCH repos/"*/issues/comments/*)
    jq --argjson id "${url##*/}" --rawfile body "$body" 'map(if .id == $id then .body = $body else . end)' "$store" > "$store.new"
    mv "$store.new" "$store" ;;
  "POST repos/"*/issues/*/comments)
    n=${url%/comments}; n=${n##*/}
    jq --argjson n "$n" --rawfile body "$body" \
      '. + [{id: (100 + length), issue: $n, user: {login: "github-actions[bot]"}, author: {id: 42}, body: $body}]' \
      "$store" > "$store.new"
    mv "$store.new" "$store" ;;
  "GET repos/"*/actions/runs/*) jq -n --arg t "$FAKE_RUN_CREATED" '{created_at: $t}' | answer ;;
  *) echo "gh stand-in: no route for $method $url" >&2; exit 1 ;;
esac
"#;

const CURL: &str = r#"#!/bin/bash
set -euo pipefail
store="$FAKE_STATE/comments.json"
[ -f "$store" ] || echo '[]' > "$store"
method=GET; url=; data=
while [ $# -gt 0 ]; do
  case "$1" in
    --request) method=$2; shift 2 ;;
    --data) data=${2#@}; shift 2 ;;
    --header) shift 2 ;;
    http*) url=$1; shift ;;
    *) shift ;;
  esac
done
path=${url%%\?*}
echo "$method $path" >> "$FAKE_STATE/log"
case "$method $path" in
  "GET "*/user) echo '{"id": 42, "username": "project_9_bot"}' ;;
  "GET "*/notes)
    n=${path%/notes}; n=${n##*/}
    jq --argjson n "$n" '[.[] | select(.issue == $n)]' "$store" ;;
  "POST "*/notes)
    n=${path%/notes}; n=${n##*/}
    jq --argjson n "$n" --slurpfile note "$data" \
      '. + [{id: (100 + length), issue: $n, user: {login: "project_9_bot"}, author: {id: 42}, body: $note[0].body}]' \
      "$store" > "$store.new"
    mv "$store.new" "$store" ;;
  "PUT "*/notes/*)
    jq --argjson id "${path##*/}" --slurpfile note "$data" 'map(if .id == $id then .body = $note[0].body else . end)' \
      "$store" > "$store.new"
    mv "$store.new" "$store" ;;
  *) echo "curl stand-in: no route for $method $url" >&2; exit 1 ;;
esac
"#;

/// Writes the stand-ins into `dir/bin` and returns that directory.
pub fn install(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    for (name, script) in [("gh", GH), ("curl", CURL)] {
        let path = write(&bin, name, script);
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).unwrap();
    }
    bin
}

/// The bodies of the comments on pull request `n`, oldest first.
pub fn comments(state: &Path, n: u64) -> Vec<String> {
    let text = std::fs::read_to_string(state.join("comments.json")).unwrap_or_else(|_| "[]".into());
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .filter(|c| c["issue"] == n)
        .map(|c| c["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}
