{{/* Chart name. */}}
{{- define "opsbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or fullnameOverride. */}}
{{- define "opsbot.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "opsbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "opsbot.labels" -}}
helm.sh/chart: {{ include "opsbot.chart" . }}
{{ include "opsbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "opsbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opsbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: bot
{{- end }}

{{- define "opsbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "opsbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "opsbot.image" -}}
{{- /* toString: `--set image.tag=1` arrives as a number */ -}}
{{- printf "%s:%s" .Values.image.repository (toString (default .Chart.AppVersion .Values.image.tag)) }}
{{- end }}

{{/* Cluster-wide RBAC objects are not namespaced: their name carries the release namespace
(namespaces cannot contain ":"), so releases of one name in two namespaces coexist. */}}
{{- define "opsbot.clusterRbacName" -}}
{{- printf "%s:%s" .Release.Namespace (include "opsbot.fullname" .) }}
{{- end }}

{{- define "opsbot.redisName" -}}
{{- printf "%s-redis" (include "opsbot.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "opsbot.policiesConfigMap" -}}
{{- default (printf "%s-policies" (include "opsbot.fullname" .)) .Values.policies.existingConfigMap }}
{{- end }}

{{- define "opsbot.reportsConfigMap" -}}
{{- default (printf "%s-reports" (include "opsbot.fullname" .)) .Values.reports.existingConfigMap }}
{{- end }}

{{/*
RBAC rules derived from the catalog (files/rbac-rules.json, written by `python -m bot.rbac`).
Merges the rules of every enabled operation per (apiGroup, resource), sorted like bot.rbac,
and returns JSON {"namespaced": [...], "cluster": [...]}.
*/}}
{{- define "opsbot.rbacRules" -}}
{{- $file := .Files.Get "files/rbac-rules.json" | fromJson }}
{{- $clusterScoped := $file.clusterScopedResources }}
{{- $merged := dict }}
{{- $any := false }}
{{- range $kind := .Values.operations.enabled }}
{{- if not (hasKey $file.operations $kind) }}
{{- fail (printf "operations.enabled: unknown operation %q (known: %s)" $kind (join ", " $file.kinds)) }}
{{- end }}
{{- range $rule := index $file.operations $kind }}
{{- $any = true }}
{{- $key := printf "%s %s" (index $rule.apiGroups 0) (index $rule.resources 0) }}
{{- $_ := set $merged $key (concat (get $merged $key | default list) $rule.verbs) }}
{{- end }}
{{- end }}
{{- if and $any .Values.rbac.namespaceSuggestions }}
{{- range $rule := $file.namespaceSuggestions }}
{{- $key := printf "%s %s" (index $rule.apiGroups 0) (index $rule.resources 0) }}
{{- $_ := set $merged $key (concat (get $merged $key | default list) $rule.verbs) }}
{{- end }}
{{- end }}
{{- $namespaced := list }}
{{- $cluster := list }}
{{- range $key := keys $merged | sortAlpha }}
{{- $parts := splitn " " 2 $key }}
{{- $rule := dict "apiGroups" (list $parts._0) "resources" (list $parts._1) "verbs" (get $merged $key | uniq | sortAlpha) }}
{{- if has $parts._1 $clusterScoped }}
{{- $cluster = append $cluster $rule }}
{{- else }}
{{- $namespaced = append $namespaced $rule }}
{{- end }}
{{- end }}
{{- range $resource := list "groups" "users" }}
{{- range $name := index $.Values.impersonation $resource }}
{{- if hasPrefix "system:" $name }}
{{- fail (printf "impersonation.%s names %q: the bot never impersonates system: identities (system:masters is cluster-admin)" $resource $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.impersonation.enabled }}
{{- range $resource := list "groups" "users" }}
{{- $names := index $.Values.impersonation $resource | uniq | sortAlpha }}
{{- if not $names }}
{{- fail (printf "impersonation.enabled=true needs impersonation.%s: list the Kubernetes %s the bot may act as (with none listed it could impersonate any, system:masters included)" $resource $resource) }}
{{- end }}
{{- $rule := dict "apiGroups" (list "") "resources" (list $resource) "verbs" (list "impersonate") "resourceNames" $names }}
{{- $cluster = append $cluster $rule }}
{{- end }}
{{- end }}
{{- dict "namespaced" $namespaced "cluster" $cluster | toJson }}
{{- end }}

{{/* The policy files (file name -> content) the policies ConfigMap holds. */}}
{{- define "opsbot.policiesData" -}}
{{- if .Values.policies.files }}
{{- toYaml .Values.policies.files }}
{{- else }}
default.yaml: |
{{- .Files.Get "files/policies/default.yaml" | nindent 2 }}
{{- end }}
{{- end }}

{{/* The reports.yaml the reports ConfigMap holds. */}}
{{- define "opsbot.reportsData" -}}
reports.yaml: |
{{- toYaml .Values.reports.config | nindent 2 }}
{{- end }}

{{/* --- Alertmanager receiver (issue 13) --- */}}
{{- define "opsbot.alertsConfigMap" -}}
{{- default (printf "%s-alerts" (include "opsbot.fullname" .)) .Values.alerts.existingConfigMap }}
{{- end }}

{{- define "opsbot.alertsData" -}}
routing.yaml: |
  {{- toYaml .Values.alerts.routing | nindent 2 }}
runbooks.yaml: |
  {{- toYaml (default (dict "runbooks" list) .Values.alerts.runbooks) | nindent 2 }}
{{- end }}

{{/* Refuses an enabled receiver the bot could not start. */}}
{{- define "opsbot.alertsChecks" -}}
{{- if .Values.alerts.enabled }}
{{- if and (not .Values.alerts.existingConfigMap) (not .Values.alerts.routing) }}
{{- fail "alerts.enabled needs alerts.routing (routes, unrouted, default_channel) or alerts.existingConfigMap (README, Alerts from Alertmanager)" }}
{{- end }}
{{- if or (eq (int .Values.alerts.port) (int .Values.http.port)) (and (eq .Values.slack.mode "http") (eq (int .Values.alerts.port) (int .Values.slack.port))) }}
{{- fail (printf "alerts.port %v is already used by http.port or slack.port: pick another" .Values.alerts.port) }}
{{- end }}
{{- end }}
{{- end }}
{{/* --- end Alertmanager receiver --- */}}
{{/* `opsbot serve --platform`: slack, matrix or both, from slack.enabled and matrix.enabled. */}}
{{- define "opsbot.platform" -}}
{{- if and .Values.slack.enabled .Values.matrix.enabled }}both
{{- else if .Values.matrix.enabled }}matrix
{{- else if .Values.slack.enabled }}slack
{{- else }}{{ fail "slack.enabled and matrix.enabled are both false: enable at least one chat platform" }}
{{- end }}
{{- end }}
