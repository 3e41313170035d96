from campaign.runner import main

raise SystemExit(main())
