//! The spec `init` writes without a compose file: one service, the fields a first preview
//! needs, and the next ones as comments.

/// The starter spec for application `app`.
pub fn text(app: &str, file: &str) -> String {
    format!(
        "\
# A preview spec made by `kpreview init`. Every field: docs/reference.md (or `kpreview schema`).
#   kpreview validate {file}
#   kpreview render {file} --pr 1 --sha $(git rev-parse HEAD)
apiVersion: kpreview.dev/v1alpha1
kind: Preview
metadata:
  name: {app}  # the application; previews are <name>-pr-<number>
spec:
  # Exposed services are reached at <service>-<namespace>.<domain>: point a wildcard DNS record
  # for the domain at the cluster's ingress controller.
  domain: preview.example.com
  services:
    web:
      # The image CI builds for the pull request, tagged with its commit.
      image: registry.example.com/{app}/web:{{{{ pr.headSha }}}}
      port: 8080  # the port the container listens on
      expose: true  # an Ingress at web-<namespace>.<domain>
      # healthPath: /healthz
      # env:
      #   LOG_LEVEL: debug
      # dependsOn: [db]  # gives DB_URL, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD
  # dataStores:
  #   db:
  #     engine: postgres  # postgres | redis | mongodb
  #     version: \"16\"
"
    )
}
