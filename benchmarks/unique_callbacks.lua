-- wrk script: every request is a distinct `complete` callback (unique task id), so nothing is de-duplicated.
local path = os.getenv("BENCH_PATH")
local prefix = os.getenv("BENCH_PREFIX")
local counter = 0
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local track = '{"id":"%s-%d","audio_url":"https://files.example.org/a.mp3","source_audio_url":"https://cdn.example.org/a.mp3",'
  .. '"stream_audio_url":"https://stream.example.org/a","image_url":"https://files.example.org/a.jpeg",'
  .. '"prompt":"[Verse]\\nNeon rain on an empty street\\n[Chorus]\\nSing it back to me","model_name":"chirp-auk",'
  .. '"title":"Neon Rain","tags":"synthwave, female vocals","createTime":1758044664461,"duration":163.88}'

request = function()
  counter = counter + 1
  local id = string.format("%s%d%d", prefix, tid or 0, counter)
  local body = string.format('{"code":200,"msg":"All generated successfully.","data":{"callbackType":"complete",'
    .. '"task_id":"%s","data":[' .. track .. ',' .. track .. ']}}', id, id, 1, id, 2)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
