{{- define "kps.labels" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: "88.5.3"
app.kubernetes.io/part-of: kube-prometheus-stack
chart: kube-prometheus-stack-88.5.3
release: {{ .Release.Name | quote }}
heritage: {{ .Release.Service | quote }}
{{- end }}

{{- define "kps.operator.labels" }}
{{- include "kps.labels" . }}
app: kube-prometheus-stack-operator
app.kubernetes.io/name: kube-prometheus-stack-prometheus-operator
app.kubernetes.io/component: prometheus-operator
{{- end }}
