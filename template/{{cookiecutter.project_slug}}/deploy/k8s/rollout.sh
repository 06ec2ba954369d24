#!/bin/sh
# Roll out an overlay: everything but the Deployment first, with the migration Job, and the
# Deployment only once the migration has succeeded.
#   deploy/k8s/rollout.sh production        (or staging)
# Set the image tag in overlays/<overlay>/kustomization.yaml first.
set -eu

overlay=${1:?usage: rollout.sh staging|production}
dir="$(cd "$(dirname "$0")" && pwd)/overlays/$overlay"
[ -d "$dir" ] || { echo "rollout.sh: no overlay $dir" >&2; exit 2; }
timeout=${ROLLOUT_TIMEOUT:-600s}
migration=app.kubernetes.io/component=migration

# A Job's pod template cannot change: the last release's Job goes before this one's.
kubectl delete -k "$dir" -l "$migration" --ignore-not-found --wait=true
# The ConfigMap, Secret references, policies and the Job; the running pods are untouched.
kubectl apply -k "$dir" -l app.kubernetes.io/component!=api
if ! kubectl wait -k "$dir" -l "$migration" --for=condition=complete --timeout="$timeout"; then
    echo "rollout.sh: the migration did not complete; the running release is untouched" >&2
    echo "rollout.sh: see kubectl logs -l $migration in the overlay's namespace" >&2
    exit 1
fi
kubectl apply -k "$dir"
kubectl rollout status -k "$dir" -l app.kubernetes.io/component=api --timeout="$timeout"
