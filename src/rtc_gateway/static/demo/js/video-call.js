// One side of a Visioplainte call. The gateway's own WebRTC peer answers our offer and relays
// the other participant's audio and video back to us, so there is one peer connection per call.

import { request } from "./connection.js";

const GATHERING_LIMIT_MS = 3000;

export class VideoCall {
  /**
   * @param {object} socket       the Socket.IO connection of this page
   * @param {string} roomId       room given by video:start or video:invite
   * @param {HTMLVideoElement} localVideo   muted preview of our camera
   * @param {HTMLVideoElement} remoteVideo  what the gateway relays from the other side
   */
  constructor(socket, roomId, localVideo, remoteVideo) {
    this.socket = socket;
    this.roomId = roomId;
    this.localVideo = localVideo;
    this.remoteVideo = remoteVideo;
    this.stream = null;
    this.peer = null;
    this.remoteStream = new MediaStream();
  }

  async start(iceServers) {
    const servers = await this.join(iceServers);
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    this.localVideo.srcObject = this.stream;
    playQuietly(this.localVideo);
    this.peer = new RTCPeerConnection({ iceServers: servers });
    this.peer.addEventListener("track", (event) => this.showRemote(event.track));
    for (const track of this.stream.getTracks()) {
      this.peer.addTransceiver(track, { direction: "sendrecv", streams: [this.stream] });
    }
    await this.peer.setLocalDescription(await this.peer.createOffer());
    await gatheringComplete(this.peer);
    const answer = await request(this.socket, "rtc:offer", {
      room_id: this.roomId,
      sdp: this.peer.localDescription.sdp,
      type: "offer",
    });
    await this.peer.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  }

  /** Join the room; the officer who started it may already be in, which is not an error. */
  async join(iceServers) {
    try {
      const joined = await request(this.socket, "video:join", { room_id: this.roomId });
      return joined.ice_servers ?? iceServers ?? [];
    } catch (error) {
      if (error.code === "conflict") return iceServers ?? [];
      throw error;
    }
  }

  showRemote(track) {
    this.remoteStream.addTrack(track);
    if (this.remoteVideo.srcObject !== this.remoteStream) this.remoteVideo.srcObject = this.remoteStream;
    playQuietly(this.remoteVideo);
  }

  setMicrophoneMuted(muted) {
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = !muted;
  }

  setCameraOff(off) {
    for (const track of this.stream?.getVideoTracks() ?? []) track.enabled = !off;
  }

  get connectionState() {
    return this.peer?.connectionState ?? "new";
  }

  /** Release camera, microphone and peer; `notify` also tells the gateway we left. */
  async stop(notify = true) {
    const peer = this.peer;
    this.peer = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    peer?.close();
    this.localVideo.srcObject = null;
    this.remoteVideo.srcObject = null;
    if (notify && this.socket.connected) {
      await request(this.socket, "video:leave", { room_id: this.roomId }).catch(() => undefined);
    }
  }
}

function gatheringComplete(peer) {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      peer.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (peer.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, GATHERING_LIMIT_MS);
    peer.addEventListener("icegatheringstatechange", check);
  });
}

function playQuietly(video) {
  video.play().catch(() => undefined);
}
