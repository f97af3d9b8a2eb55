-- wrk: GET a fund read (an agreement with its funds' balances) as the demo's admin.
function request()
   return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. os.getenv("ISF_TOKEN") })
end
