{{/*
The chart name, or nameOverride.
*/}}
{{- define "berth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: fullnameOverride, else the release name, suffixed with the chart
name unless the release name already contains it. Truncated to leave room for suffixes.
*/}}
{{- define "berth.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "berth.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the operator pods; never change them in an upgrade (Deployment selectors are
immutable).
*/}}
{{- define "berth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "berth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
Labels on every object of the release.
*/}}
{{- define "berth.labels" -}}
helm.sh/chart: {{ include "berth.chart" . }}
{{ include "berth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: berth
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The operator's ServiceAccount name.
*/}}
{{- define "berth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "berth.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator image: repository@digest, else repository:tag (tag defaults to appVersion).
*/}}
{{- define "berth.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The Lease name (--leader-election-id); the Lease Role is restricted to it.
*/}}
{{- define "berth.leaseName" -}}
{{- default (include "berth.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/*
The metrics Service name; also the Prometheus `job` label of its ServiceMonitor targets.
*/}}
{{- define "berth.metricsServiceName" -}}
{{- printf "%s-metrics" (include "berth.fullname" .) }}
{{- end }}

{{/*
Whether the operator watches every namespace ("true") or only watchNamespaces ("").
*/}}
{{- define "berth.clusterWide" -}}
{{- if not .Values.watchNamespaces }}true{{- end }}
{{- end }}

{{/*
Rules of the operator on its own kinds and in the namespaces where it reconciles them. Used by the
ClusterRole (watching all namespaces) and by the Role in each watched namespace. Every rule names
the code that needs it.
*/}}
{{- define "berth.operatorRules" -}}
# The three kinds: list+watch by each controller's informer (src/controllers/runtime/controller.ts
# Controller.makeInformer); get by Controller.read (a live read when the cache lags our own write)
# and by getRegistry (src/controllers/registry-token/controller.ts) for referenced ContainerRegistries;
# patch of metadata.finalizers by ensureFinalizer/removeFinalizer (src/controllers/runtime/finalizers.ts).
- apiGroups: ["berth.dev"]
  resources: ["containerregistries", "registrytokens", "cleanuppolicies"]
  verbs: ["get", "list", "watch", "patch"]
# Status writes, merge patches of the status subresource only: patchStatusIfChanged
# (src/controllers/runtime/status.ts).
- apiGroups: ["berth.dev"]
  resources: ["containerregistries/status", "registrytokens/status", "cleanuppolicies/status"]
  verbs: ["patch"]
# Secrets: get for ContainerRegistry credentials (secretReader, src/controllers/container-registry/
# controller.ts) and for the token's own Secret and copies (readSecret in registry-token/secret.ts and
# copies.ts); create/update (replace with resourceVersion) by writeSecret and writeCopy; delete by
# deleteOwnedSecret and deleteCopy (uid-preconditioned); list+watch by the RegistryToken controller's
# `secrets` informer (label app.kubernetes.io/managed-by=berth: its Secrets are repaired at once) and
# list by listCopies (label berth.dev/token-uid). No patch. RBAC cannot limit a list to a label:
# cluster-wide this reads every Secret, so namespaced mode (watchNamespaces) grants it per namespace.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
# ServiceAccounts: read-modify-write of imagePullSecrets by attachPullSecret/detachPullSecret
# (src/controllers/registry-token/service-accounts.ts, readNamespacedServiceAccount and
# replaceNamespacedServiceAccount); list+watch by the `serviceaccounts` informer (a named
# ServiceAccount appearing gets the Secret at once). No patch, no create.
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "list", "watch", "update"]
# Events about berth objects, in their namespace: KubeEventRecorder.record
# (src/controllers/runtime/events.ts) creates an event and patches its series on repeats.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/*
The one cluster-wide read the RegistryToken controller needs whatever --namespaces says: Namespaces
are cluster-scoped, and distribution chooses its target namespaces by name and label.
*/}}
{{- define "berth.clusterReadRules" -}}
# Namespaces (cluster-scoped): list+watch by the `namespaces` informers of the RegistryToken and
# CleanupPolicy controllers (src/controllers/shared/namespaces.ts): distribution targets and
# allowedNamespaces admission read names and labels from that cache, never with a GET.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["list", "watch"]
{{- end }}

{{/*
The selector of the operator's series in PromQL (the metrics Service's ServiceMonitor job).
*/}}
{{- define "berth.promSelector" -}}
job="{{ include "berth.metricsServiceName" . }}"
{{- end }}

{{/*
Seconds of a duration as the operator's flags take it (15s, 2m, 1h30m; see values.schema.json).
*/}}
{{- define "berth.seconds" -}}
{{- $h := regexFind "[0-9]+h" . | trimSuffix "h" | default "0" | int }}
{{- $m := regexFind "[0-9]+m" . | trimSuffix "m" | default "0" | int }}
{{- $s := regexFind "[0-9]+s" . | trimSuffix "s" | default "0" | int }}
{{- add (mul $h 3600) (mul $m 60) $s }}
{{- end }}
