from loadtest.video.run import main

main()
