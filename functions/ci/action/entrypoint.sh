#!/usr/bin/env bash
# kpreview's GitHub Action (action.yml at the repository's root): runs one of its commands against
# the GitOps repository, with the inputs action.yml maps to KP_* variables.
#
#   build      render the pull request (a spec, or an overlay built with kpreview's plugin) into
#              a bundle directory; needs no token: the job that runs it runs the PR's code
#   publish    publish a bundle (or a spec) to the GitOps repository and write the PR comment
#   unpublish  remove the pull request's preview and write the comment saying so
#   gc         expire and evict; the plan (JSON) says which pull requests lost their preview
#   keep/wake  `kpreview keep` / `kpreview wake` for one pull request
#
# The GitOps token never reaches a file: git reads the Authorization header from GIT_CONFIG_*
# variables of this process, so no .git/config holds it. Outputs (GITHUB_OUTPUT): result
# (ok | superseded | failed), comment (a Markdown file for the PR comment, when there is one),
# plan (gc) and evicted (publish): JSON files whose `remove` lists the previews taken down.
set -euo pipefail

say() { printf 'kpreview-action: %s\n' "$*" >&2; }
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"; fi; }

command=${KP_COMMAND:?the input command is required: build, publish, unpublish, gc, keep or wake}
# Relative to the workspace, so the paths in the outputs hold for the steps after this one.
out_dir=${KP_OUTPUT_DIR:-kpreview-out}
mkdir -p "$out_dir"
comment="$out_dir/comment.md"
errors="$out_dir/errors.txt"
evicted="$out_dir/evicted.json"
rm -f "$comment" "$errors" "$evicted"

# The commits' author: the workflow's bot unless the caller says otherwise.
export GIT_AUTHOR_NAME="${KP_GIT_NAME:-github-actions[bot]}" GIT_COMMITTER_NAME="${KP_GIT_NAME:-github-actions[bot]}"
export GIT_AUTHOR_EMAIL="${KP_GIT_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
export GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

# The first lines of kpreview's error, for the comment; the whole of it stays in the log.
run() {
  local status=0
  "$@" 2> >(tee "$errors" >&2) || status=$?
  wait
  return "$status"
}

# On exit, whatever ended the script (set -e stops at the first failure): the outputs the
# comment step reads. 3 is kpreview's "a newer publish or unpublish already landed" (a re-run of
# an older job), which changed nothing and is no failure.
finish() {
  local status=$1
  if [ -f "$comment" ]; then output comment "$comment"; fi
  if [ "$status" = 0 ]; then
    # Written by publish only once its commit landed.
    if [ -f "$evicted" ]; then output evicted "$evicted"; fi
    output result ok
    exit 0
  fi
  if [ "$status" = 3 ]; then
    say "superseded: a newer run already published or removed this preview; nothing changed"
    output result superseded
    exit 0
  fi
  output result failed
  output errors "$errors"
  exit "$status"
}

clone() {
  : "${KP_GITOPS_REPOSITORY:?the input gitops-repository is required}"
  local server=${KP_GITOPS_SERVER:-https://github.com}
  if [ -n "${KP_GITOPS_TOKEN:-}" ]; then
    local auth
    auth=$(printf 'x-access-token:%s' "$KP_GITOPS_TOKEN" | base64 | tr -d '\n')
    export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="http.$server/.extraheader"
    export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $auth"
  fi
  gitops=$(mktemp -d)
  git clone --quiet --branch "${KP_GITOPS_BRANCH:-main}" "$server/$KP_GITOPS_REPOSITORY.git" "$gitops"
}

pr() { printf '%s' "${KP_PR:?the input pr is required}"; }
now() { printf '%s' "${KP_NOW:?the input now is required: the event time, so a re-run of an old run is refused}"; }

build() {
  local bundle=${KP_BUNDLE:?the input bundle is required}
  rm -rf "$bundle"
  mkdir -p "$bundle"
  local spec=${KP_SPEC:-preview.yaml}
  # A spec that seeds a store from snapshots chosen by tags needs `kpreview lock` (AWS).
  if [ -f "$spec" ] && grep -Eq '(^|[[:space:]{,])tags:' "$spec"; then
    run kpreview lock "$spec"
  fi
  if [ -n "${KP_OVERLAY:-}" ]; then
    local home
    home=$(mktemp -d)
    KUSTOMIZE_PLUGIN_HOME="$home" kpreview install-plugin > /dev/null
    KUSTOMIZE_PLUGIN_HOME="$home" KPREVIEW_PR_NUMBER="$(pr)" KPREVIEW_HEAD_SHA="${KP_SHA:-}" \
      KPREVIEW_BRANCH="${KP_BRANCH:-}" run kubectl kustomize --enable-alpha-plugins "$KP_OVERLAY" > "$bundle/manifests.yaml"
    rm -rf "$home"
  else
    if [ ! -f "$spec" ]; then
      echo "error: $spec: no such file (the input spec)" | tee "$errors" >&2
      return 1
    fi
    cp "$spec" "$bundle/preview.yaml"
    local lock
    lock="$(dirname "$spec")/preview.lock"
    if [ -f "$lock" ]; then cp "$lock" "$bundle/preview.lock"; fi
  fi
}

publish() {
  clone
  local source=()
  if [ -n "${KP_BUNDLE:-}" ] && [ -f "$KP_BUNDLE/manifests.yaml" ]; then
    # A built overlay: kustomize lists the stream as plain resources, so nothing of the pull
    # request runs here (no plugins, no functions).
    printf 'resources:\n- manifests.yaml\n' > "$KP_BUNDLE/kustomization.yaml"
    source=(--overlay "$KP_BUNDLE" --kustomize "kubectl kustomize")
  elif [ -n "${KP_BUNDLE:-}" ]; then
    source=("$KP_BUNDLE/preview.yaml")
  else
    source=("${KP_SPEC:-preview.yaml}")
  fi
  # The platform's PreviewPolicy (docs/policy.md) comes from the GitOps repository, which the
  # pull request cannot change; never from the pull request's tree.
  if [ -f "$gitops/platform/preview-policy.yaml" ]; then
    export KPREVIEW_POLICY="$gitops/platform/preview-policy.yaml"
  else
    unset KPREVIEW_POLICY
    say "warning: no platform/preview-policy.yaml in the GitOps repository: kpreview's built-in policy applies"
  fi
  local more=()
  if [ -n "${KP_MAX:-}" ]; then more+=(--max "$KP_MAX"); fi
  if [ -n "${KP_BRANCH:-}" ]; then more+=(--branch "$KP_BRANCH"); fi
  run kpreview publish "${source[@]}" --repo "$gitops" --pr "$(pr)" --sha "${KP_SHA:?the input sha is required}" \
    --now "$(now)" "${more[@]}" --push --summary "$comment" --evicted "$evicted" > /dev/null
}

unpublish() {
  clone
  run kpreview unpublish --repo "$gitops" --pr "$(pr)" --app "${KP_APP:?the input app is required}" \
    --now "$(now)" --push
}

gc() {
  clone
  local cap=()
  if [ -n "${KP_MAX:-}" ]; then cap+=(--max "$KP_MAX"); fi
  if [ -n "${KP_SLEEP_AFTER:-}" ]; then cap+=(--sleep-after "$KP_SLEEP_AFTER"); fi
  run kpreview gc --repo "$gitops" "${cap[@]}" --now "$(now)" --push > "$out_dir/gc.json"
  output plan "$out_dir/gc.json"
}

keep() {
  clone
  local until=()
  if [ "${KP_OFF:-false}" = true ]; then until=(--off); elif [ -n "${KP_UNTIL:-}" ]; then until=(--until "$KP_UNTIL"); fi
  run kpreview keep --repo "$gitops" --pr "$(pr)" --app "${KP_APP:?the input app is required}" "${until[@]}" \
    --now "$(now)" --push
}

wake() {
  clone
  # wake takes no time: waking twice is waking once, and a re-run cannot undo a newer publish.
  run kpreview wake --repo "$gitops" --pr "$(pr)" --app "${KP_APP:?the input app is required}" --push
}

trap 'finish $?' EXIT
case "$command" in
  build) build ;;
  publish) publish ;;
  unpublish) unpublish ;;
  gc) gc ;;
  keep) keep ;;
  wake) wake ;;
  *) echo "error: unknown command '$command': build, publish, unpublish, gc, keep or wake" | tee "$errors" >&2; exit 2 ;;
esac
