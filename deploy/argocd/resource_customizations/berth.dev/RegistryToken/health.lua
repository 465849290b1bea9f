-- Argo CD health of a berth.dev RegistryToken, from the kstatus conditions berth writes
-- (Ready, Reconciling, Stalled) and status.observedGeneration. The CRD defaults status to
-- {observedGeneration = -1}, so a new object is Progressing until berth has looked at it.
-- Only the base and table libraries are used: Argo CD opens no others for argocd-cm checks.
local hs = { status = "Progressing", message = "Waiting for berth to reconcile" }

-- A condition's message, or its reason when the message is empty.
local function describe(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return condition.reason
end

if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= generation then
  -- -1 (the default) or absent: berth has not written status yet; otherwise a spec change waits.
  if observed ~= nil and observed >= 0 then
    hs.message = "Waiting for berth to reconcile generation " .. generation .. " (last reconciled " .. observed .. ")"
  end
  return hs
end

local ready, reconciling, stalled
for _, condition in ipairs(obj.status.conditions or {}) do
  if condition.type == "Ready" then
    ready = condition
  elseif condition.type == "Reconciling" then
    reconciling = condition
  elseif condition.type == "Stalled" then
    stalled = condition
  end
end

-- The order of kstatus (Flux): work in progress first, then a stall that needs the user.
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = describe(reconciling)
  return hs
end
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end
if ready == nil then
  return hs
end
if generation ~= nil and ready.observedGeneration ~= nil and ready.observedGeneration ~= generation then
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
if ready.status == "False" then
  -- Not ready without a retry in progress: an error berth reported and is not working on.
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end
hs.message = describe(ready)
return hs
